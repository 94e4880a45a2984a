"""`pandawa users …` and `pandawa tokens …` as an operator uses them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from pandawa.accounts.models import User
from pandawa.accounts.operations import authenticate


@pytest.fixture
def cli(app, session):
    runner = app.test_cli_runner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(args=list(args), input=input)

    return run


def _user(session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == email))


def test_users_create_with_password_from_stdin(cli, session, make_queue):
    kep, iur = make_queue("KEP"), make_queue("IUR")

    result = cli(
        "users",
        "create",
        "Petugas.Satu@Example.go.id",
        "--role",
        "agent",
        "--queue",
        kep.code,
        "--queue",
        iur.code,
        "--password-stdin",
        input="kata-sandi-rahasia\n",
    )

    assert result.exit_code == 0, result.output
    assert "petugas.satu@example.go.id" in result.stdout
    assert "kata-sandi-rahasia" not in result.output
    user = _user(session, "petugas.satu@example.go.id")
    assert user.role == "agent"
    assert sorted(q.code for q in user.queues) == ["IUR", "KEP"]
    assert user.password_hash.startswith("$argon2id$")
    assert authenticate(session, "petugas.satu@example.go.id", "kata-sandi-rahasia") == user
    assert authenticate(session, "petugas.satu@example.go.id", "kata-sandi-salah") is None


def test_users_create_without_password_cannot_sign_in_yet(cli, session):
    result = cli("users", "create", "kepala@example.go.id", "--role", "supervisor")
    assert result.exit_code == 0, result.output
    assert _user(session, "kepala@example.go.id").password_hash is None
    assert authenticate(session, "kepala@example.go.id", "") is None


@pytest.mark.parametrize(
    ("args", "input", "needle"),
    [
        (["--role", "agent", "--queue", "NOPE"], None, "NOPE"),
        (["--role", "agent", "--password-stdin"], "pendek\n", "10"),
        (["--role", "agent", "--password-stdin"], "", "stdin"),
    ],
)
def test_users_create_errors_exit_1_with_a_message(cli, session, args, input, needle):
    result = cli("users", "create", "baru@example.go.id", *args, input=input)
    assert result.exit_code == 1
    assert needle in result.stderr
    assert result.stdout == ""
    assert _user(session, "baru@example.go.id") is None


def test_users_create_refuses_duplicates_and_bad_roles(cli, session):
    assert cli("users", "create", "dua@example.go.id", "--role", "admin").exit_code == 0
    again = cli("users", "create", "DUA@example.go.id", "--role", "admin")
    assert again.exit_code == 1
    assert "already exists" in again.stderr
    boss = cli("users", "create", "tiga@example.go.id", "--role", "boss")
    assert boss.exit_code == 1
    assert "agent, supervisor, admin" in boss.stderr
    bad = cli("users", "create", "not-an-email", "--role", "agent")
    assert bad.exit_code == 1
    assert "not-an-email" in bad.stderr


def test_users_list(cli, session, make_queue, make_user):
    make_user("agen@example.go.id", queues=[make_queue("PGD")])
    result = cli("users", "list")
    assert result.exit_code == 0
    assert re.search(r"agen@example.go.id\s+agent\s+PGD\s+no-password", result.stdout)


def test_tokens_create_prints_only_the_token_and_it_works(cli, client, session, make_user):
    make_user("api@example.go.id")

    result = cli("tokens", "create", "api@example.go.id", "--name", "laptop")

    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"pdw_[A-Za-z0-9_-]{40,}\n", result.stdout)
    token = result.stdout.strip()
    response = client.get("/api/v1/queues", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200

    revoked = cli("tokens", "revoke", "api@example.go.id")
    assert revoked.exit_code == 0
    assert "1" in revoked.stdout
    response = client.get("/api/v1/queues", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_tokens_create_for_unknown_user_exits_1(cli):
    result = cli("tokens", "create", "siapa@example.go.id")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "siapa@example.go.id" in result.stderr


def test_set_password(cli, session, make_user):
    make_user("lupa@example.go.id")
    result = cli("users", "set-password", "lupa@example.go.id", input="sandi-baru-panjang\n")
    assert result.exit_code == 0, result.output
    user = authenticate(session, "lupa@example.go.id", "sandi-baru-panjang")
    assert user is not None and user.email == "lupa@example.go.id"


def test_tokens_expire_list_and_revoke_by_id(cli, session, client, clock, make_user):
    from datetime import timedelta

    from pandawa.accounts.models import ApiToken
    from pandawa.audit.models import AuditEvent

    user = make_user("skrip@example.go.id")
    result = cli("tokens", "create", "skrip@example.go.id", "--name", "laporan", "--days", "7")
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    token = session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.name == "laporan" and token.expires_at == clock.now() + timedelta(days=7)
    default = cli("tokens", "create", "skrip@example.go.id")
    assert default.exit_code == 0
    later = session.scalar(sa.select(ApiToken).where(ApiToken.name == ""))
    assert later.expires_at == clock.now() + timedelta(days=90)

    listing = cli("tokens", "list", "skrip@example.go.id")
    assert listing.exit_code == 0
    assert f"{token.id}\tlaporan\t" in listing.stdout and "\tlive" in listing.stdout
    assert raw not in listing.stdout

    revoked = cli("tokens", "revoke", str(token.id))
    assert revoked.exit_code == 0, revoked.output
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/queues", headers=headers).status_code == 401
    assert f"{token.id}\tlaporan\t" in cli("tokens", "list", "skrip@example.go.id").stdout
    assert "\trevoked" in cli("tokens", "list", "skrip@example.go.id").stdout
    assert cli("tokens", "revoke", "999999").exit_code == 1

    actions = session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.actor_label == "cli").order_by(AuditEvent.id)
    ).all()
    assert actions == ["token_created", "token_created", "token_revoked"]


def test_cli_password_reset_ends_sessions(cli, session, make_user):
    user = make_user("reset@example.go.id")
    before = user.session_version
    result = cli("users", "set-password", "reset@example.go.id", input="sandi-baru-panjang\n")
    assert result.exit_code == 0
    session.refresh(user)
    assert user.session_version == before + 1
