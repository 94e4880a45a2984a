import pytest

from pandawa.accounts.operations import AccountError
from pandawa.admin.operations import create_user


def test_create_user_names_unknown_queues(session, make_queue):
    make_queue("KEP")
    with pytest.raises(AccountError, match="IURAN, X1"):
        create_user(session, "a@example.go.id", "agent", ["KEP", "IURAN", "X1"])


def test_create_user_joins_the_queues_named(session, make_queue):
    make_queue("KEP")
    make_queue("IURAN")
    user = create_user(session, "b@example.go.id", "agent", ["IURAN", "KEP"])
    assert [q.code for q in user.queues] == ["IURAN", "KEP"]
