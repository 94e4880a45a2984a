import click


@click.group()
def catalog_group() -> None:
    """The service catalogue."""
