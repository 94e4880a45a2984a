import click


@click.group()
def users_group() -> None:
    """Agent, supervisor and admin accounts."""


@click.group()
def tokens_group() -> None:
    """API bearer tokens."""
