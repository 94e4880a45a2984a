import click


@click.command()
def dev_command() -> None:
    """Run the embedded stack."""
