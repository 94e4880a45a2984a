"""Every state an outbound row can hold reads as one of the contract's statuses (PRODUCT.md),
and the ones already in the contract read as themselves."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pandawa.channels.contract import CONTRACT_STATUSES, INTERNAL_STATUSES, contract_status
from pandawa.channels.models import OUT_STATUSES, STATUS_RANK


def test_the_contract_is_the_one_in_product_md():
    assert CONTRACT_STATUSES == (
        "pending",
        "queued",
        "sent",
        "delivered",
        "read",
        "failed",
        "undelivered",
    )


def test_every_internal_state_maps_into_the_contract():
    assert set(OUT_STATUSES) | {"held"} == set(INTERNAL_STATUSES)
    assert {s: contract_status(s) for s in INTERNAL_STATUSES} == {
        "pending": "pending",
        "sending": "pending",
        "held": "pending",
        "accepted": "queued",
        "queued": "queued",
        "sent": "sent",
        "delivered": "delivered",
        "read": "read",
        "undelivered": "undelivered",
        "failed": "failed",
    }


@given(st.sampled_from(INTERNAL_STATUSES), st.sampled_from(INTERNAL_STATUSES))
def test_the_mapping_never_moves_a_status_backwards(a, b):
    """What only moves forward inside (STATUS_RANK) only moves forward outside too."""
    rank = {s: STATUS_RANK.get(s, 0) for s in INTERNAL_STATUSES}
    if rank[a] <= rank[b]:
        assert STATUS_RANK[contract_status(a)] <= STATUS_RANK[contract_status(b)]


@given(st.one_of(st.none(), st.text(max_size=20)))
def test_anything_else_reads_as_a_contract_status(status):
    assert contract_status(status) in CONTRACT_STATUSES
