"""`pandawa users …` and `pandawa tokens …`. Each command commits once; errors exit 1."""

from __future__ import annotations

import sys
from datetime import datetime

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from pandawa.accounts.models import ROLES, ApiToken, User
from pandawa.accounts.operations import (
    AccountError,
    find_user,
    issue_token,
    revoke_token,
    revoke_tokens,
    set_name,
    set_password,
    user_tokens,
)
from pandawa.admin.operations import create_user
from pandawa.audit.operations import record
from pandawa.core.clock import now
from pandawa.core.extensions import db
from pandawa.tickets.scopes.operations import ScopeRefused, scope_of, set_scope

# who an act from the command line is recorded as (the audit has no account for an operator)
CLI = "cli"


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
        set_password(user, _read_password())  # ends the user's browser sessions too
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    _audit("password_changed", user)
    db.session.commit()
    click.echo(f"password set for {user.email}")


@users_group.command("set-name")
@click.argument("email")
@click.argument("name")
@with_appcontext
def set_name_command(email: str, name: str) -> None:
    """Set the name colleagues see for a user ("" goes back to the e-mail's local part)."""
    user = _user_or_fail(email)
    try:
        set_name(user, name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    shown = user.display_name
    db.session.commit()
    click.echo(f"{email} is shown as {shown!r}")


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


@users_group.command("scope")
@click.argument("email")
@click.option(
    "--office", "offices", multiple=True, metavar="CODE", help="An office (repeat for several)."
)
@click.option(
    "--region", "regions", multiple=True, metavar="R", help="A region (repeat for several)."
)
@click.option("--clear", is_flag=True, help="Agency-wide again: remove every office and region.")
@with_appcontext
def scope_command(
    email: str, offices: tuple[str, ...], regions: tuple[str, ...], clear: bool
) -> None:
    """Bind a supervisor to offices and/or regions (replacing her scope), or --clear it.

    Without options, shows the scope. A supervisor without one sees every office."""
    user = _user_or_fail(email)
    if clear and (offices or regions):
        raise click.ClickException("--clear takes no --office or --region")
    if not (clear or offices or regions):
        click.echo(f"{user.email}\t{user.role}\t{scope_of(user).describe()}")
        return
    try:
        after = set_scope(db.session, user, offices, regions, actor_label=CLI, address=CLI)
    except ScopeRefused as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{user.email}\t{user.role}\t{after.describe()}")


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", default="", help="What the token is for (shown in listings).")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Days until it expires (default: API_TOKEN_DAYS, 90).",
)
@with_appcontext
def create_token_command(email: str, name: str, days: int | None) -> None:
    """Create an API token and print it alone on stdout (it is shown only once)."""
    user = _user_or_fail(email)
    try:
        token, raw = issue_token(db.session, user, name=name, days=days)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    _audit("token_created", user, token_id=token.id)
    db.session.commit()
    click.echo(raw)


@tokens_group.command("list")
@click.argument("email")
@with_appcontext
def list_tokens_command(email: str) -> None:
    """List a user's tokens: id, name, created, last used, expires, state."""
    user = _user_or_fail(email)
    tokens = user_tokens(db.session, user)
    if not tokens:
        click.echo(f"no tokens for {user.email}")
        return
    at = now()
    click.echo("id\tname\tcreated\tlast_used\texpires\tstate")
    for token in tokens:
        if token.revoked_at is not None:
            state = "revoked"
        elif token.expires_at is not None and token.expires_at <= at:
            state = "expired"
        else:
            state = "live"
        click.echo(
            "\t".join(
                (
                    str(token.id),
                    token.name or "-",
                    _when(token.created_at),
                    _when(token.last_used_at),
                    _when(token.expires_at),
                    state,
                )
            )
        )


@tokens_group.command("revoke")
@click.argument("target")
@click.option("--name", default=None, help="With an EMAIL: only the tokens with this name.")
@with_appcontext
def revoke_tokens_command(target: str, name: str | None) -> None:
    """Revoke one token by its ID (see `pandawa tokens list`), or a user's tokens by EMAIL."""
    if target.isdigit():
        token = db.session.get(ApiToken, int(target))
        if token is None:
            raise click.ClickException(f"no token {target}; see `pandawa tokens list EMAIL`")
        if revoke_token(db.session, token):
            _audit("token_revoked", token.user, token_id=token.id)
        db.session.commit()
        click.echo(f"revoked token {token.id} of {token.user.email}")
        return
    user = _user_or_fail(target)
    live = [t.id for t in user_tokens(db.session, user) if t.revoked_at is None]
    count = revoke_tokens(db.session, user, name=name)
    if count:
        _audit("token_revoked", user, token_ids=live if name is None else None, name=name)
    db.session.commit()
    click.echo(f"revoked {count} token(s) of {user.email}")


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "-"


def _audit(action: str, user: User, **details: object) -> None:
    record(
        db.session,
        action,
        actor_label=CLI,
        address=CLI,
        details={"user_id": user.id, **{k: v for k, v in details.items() if v is not None}},
    )
