"""`pandawa users …` and `pandawa tokens …`. Each command commits once; errors exit 1."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from pandawa.accounts.models import ROLES, User
from pandawa.accounts.operations import (
    AccountError,
    create_token,
    find_user,
    revoke_tokens,
    set_password,
)
from pandawa.admin.operations import create_user
from pandawa.core.extensions import db


@click.group()
def users_group() -> None:
    """Agent, supervisor and admin accounts."""


@click.group()
def tokens_group() -> None:
    """API bearer tokens."""


def _read_password() -> str:
    # one line from stdin, so `printf '%s\n' "$PW" | pandawa users create …` works; the
    # password never appears in the process list or shell history
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise click.ClickException("no password on stdin (expected one line)")
    return password


def _user_or_fail(email: str) -> User:
    user = find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"no user {email.strip().lower()!r}; create it first")
    return user


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True, metavar="ROLE", help=f"Account role: {', '.join(ROLES)}.")
@click.option(
    "--queue",
    "queues",
    multiple=True,
    metavar="CODE",
    help="Queue the user works (repeat for several).",
)
@click.option("--name", default="", help="Display name.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the web sign-in password from the first line of stdin.",
)
@with_appcontext
def create_user_command(
    email: str, role: str, queues: tuple[str, ...], name: str, password_stdin: bool
) -> None:
    """Create an account. Without --password-stdin it cannot sign in to the web yet."""
    password = _read_password() if password_stdin else None
    try:
        user = create_user(db.session, email, role, queues, password=password, name=name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    codes = ", ".join(q.code for q in user.queues) or "-"
    note = "" if password else " (no password yet: set one with `pandawa users set-password`)"
    click.echo(f"created {user.role} {user.email}; queues: {codes}{note}")


@users_group.command("set-password")
@click.argument("email")
@with_appcontext
def set_password_command(email: str) -> None:
    """Set a user's web sign-in password, read from the first line of stdin."""
    user = _user_or_fail(email)
    try:
        set_password(user, _read_password())
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"password set for {user.email}")


@users_group.command("list")
@with_appcontext
def list_users_command() -> None:
    """List accounts with their role and queues."""
    users = db.session.scalars(sa.select(User).order_by(User.email)).all()
    if not users:
        click.echo("no users yet; create one with `pandawa users create EMAIL --role ROLE`")
        return
    for user in users:
        codes = ",".join(q.code for q in user.queues) or "-"
        flags = []
        if not user.is_active:
            flags.append("inactive")
        if not user.password_hash:
            flags.append("no-password")
        click.echo(f"{user.email}\t{user.role}\t{codes}\t{' '.join(flags)}".rstrip())


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", default="", help="What the token is for (shown in listings).")
@with_appcontext
def create_token_command(email: str, name: str) -> None:
    """Create an API token and print it alone on stdout (it is shown only once)."""
    user = _user_or_fail(email)
    try:
        raw = create_token(db.session, user, name=name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(raw)


@tokens_group.command("revoke")
@click.argument("email")
@click.option("--name", default=None, help="Revoke only the tokens with this name.")
@with_appcontext
def revoke_tokens_command(email: str, name: str | None) -> None:
    """Revoke a user's tokens (all of them, or those called --name)."""
    user = _user_or_fail(email)
    count = revoke_tokens(db.session, user, name=name)
    db.session.commit()
    click.echo(f"revoked {count} token(s) of {user.email}")
