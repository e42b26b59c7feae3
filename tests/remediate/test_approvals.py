"""Counting approvers: one person however the name is typed; a blank name is nobody."""

from __future__ import annotations

import pytest

from oncall.errors import InputError
from oncall.model import Policy
from oncall.remediate.approvals import approvals_needed, attested_names, distinct_approvers


@pytest.mark.parametrize("again", ["alice", "ALICE", " alice", "alice ", "Alice\u200b",
                                   "\uff41lice", "  aLiCe  "])
def test_the_actor_named_again_counts_once(again: str) -> None:
    assert distinct_approvers(("alice",), attested_names([again])) == ["alice"]


def test_distinct_names_keep_their_order_and_first_spelling() -> None:
    assert distinct_approvers(("alice",), [" Bob ", "bob", "carol  smith", "Carol Smith"]) \
        == ["alice", "Bob", "carol smith"]


def test_blank_names_never_count() -> None:
    assert distinct_approvers(("",), ["   ", "\t", "\u200b"]) == []


@pytest.mark.parametrize("blank", ["", "   ", "\t\n", "\u200b"])
def test_a_blank_attested_name_is_bad_input(blank: str) -> None:
    with pytest.raises(InputError) as caught:
        attested_names(["bob", blank])
    assert str(caught.value) == ("--approved-by: an approver name is blank: give each "
                                 "further approver's name")


def test_approvals_needed() -> None:
    assert approvals_needed(Policy(approvers_min=3), "approve") == 3
    assert approvals_needed(Policy(approvers_min=0), "approve") == 1
    assert approvals_needed(Policy(approvers_min=3), "auto") == 1
    assert approvals_needed(None, "approve") == 1
