"""Who is me, who is a counterpart, and whose mail is ignored."""

from __future__ import annotations

import pytest

from inboxguard.domain.identity import Identity, SenderMatcher
from inboxguard.domain.message import Address
from tests.domain.factories import CLIENT, IDENTITY, OTHER_CLIENT, OWNER, jst, msg

AT = jst(2026, 11, 16, 10)


@pytest.mark.parametrize(
    "address",
    ["a@client.example", "A@Client.Example", "a@mail.client.example", "a@x.y.client.example"],
)
def test_a_domain_covers_itself_and_its_subdomains(address: str) -> None:
    assert SenderMatcher.of(["client.example"]).matches(address)


@pytest.mark.parametrize(
    "address",
    ["a@evil-client.example", "a@client.example.evil", "a@example", "client.example@x.example"],
)
def test_a_domain_does_not_cover_lookalikes(address: str) -> None:
    assert not SenderMatcher.of(["client.example"]).matches(address)


def test_an_at_prefixed_pattern_is_a_domain_and_a_full_address_matches_only_itself() -> None:
    matcher = SenderMatcher.of(["@client.example", " Boss@Other.Example ", ""])

    assert matcher.matches("taro@client.example")
    assert matcher.matches("boss@other.example")
    assert not matcher.matches("staff@other.example")


def test_me_is_any_of_my_addresses_case_insensitively() -> None:
    assert IDENTITY.is_me(Address("", "Hanako@Example.JP"))
    assert not IDENTITY.is_me(CLIENT)


def test_a_client_writing_to_me_is_a_counterpart() -> None:
    assert IDENTITY.counterpart_reason(msg(AT)) is None
    assert IDENTITY.is_counterpart(msg(AT))


def test_my_own_mail_is_not_a_counterpart_message() -> None:
    assert IDENTITY.counterpart_reason(msg(AT, sender=OWNER)) == "from me"


def test_automated_mail_is_not_a_counterpart_message() -> None:
    notice = msg(AT, automated_reason="Precedence: bulk")

    assert IDENTITY.counterpart_reason(notice) == "automated: Precedence: bulk"


def test_mail_without_a_sender_address_is_not_a_counterpart_message() -> None:
    anonymous = msg(AT, sender=Address("佐藤", ""))

    assert IDENTITY.counterpart_reason(anonymous) == "no sender address"


def test_mail_from_an_ignored_sender_is_not_a_counterpart_message() -> None:
    identity = Identity(addresses=IDENTITY.addresses, ignore=SenderMatcher.of(["client.example"]))

    assert identity.counterpart_reason(msg(AT)) == "sender is on the ignore list"


def test_cc_only_mail_says_why_it_does_not_count() -> None:
    cc_only = msg(AT, to=(OTHER_CLIENT,), cc=(OWNER,))
    counting = Identity(addresses=IDENTITY.addresses, cc_counts=True)

    assert IDENTITY.counterpart_reason(cc_only) == "I am only in Cc (sla.cc_counts = false)"
    assert counting.counterpart_reason(cc_only) is None


def test_mail_not_addressed_to_me_is_not_a_counterpart_message() -> None:
    elsewhere = msg(AT, to=(OTHER_CLIENT,))

    assert IDENTITY.counterpart_reason(elsewhere) == "none of my addresses is in To"


def test_the_other_party_is_their_sender_or_my_first_other_recipient() -> None:
    mine = msg(AT, sender=OWNER, to=(OWNER, CLIENT), cc=(OTHER_CLIENT,))

    assert IDENTITY.other_party(msg(AT)) == CLIENT.address
    assert IDENTITY.other_party(mine) == CLIENT.address
    assert IDENTITY.other_party(msg(AT, sender=OWNER, to=(OWNER,))) is None


def test_my_automated_mail_is_not_mine_and_answers_nobody() -> None:
    from dataclasses import replace as _replace

    from tests.domain.factories import IDENTITY, OWNER, jst, msg

    auto_reply = _replace(
        msg(jst(2026, 11, 20, 10), sender=OWNER), automated_reason="Auto-Submitted"
    )
    assert not IDENTITY.is_mine(auto_reply)
    assert IDENTITY.counterpart_reason(auto_reply) == "from me"
    assert IDENTITY.other_party(auto_reply) == "taro@client.example"
