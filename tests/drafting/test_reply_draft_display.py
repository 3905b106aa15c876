"""A draft the owner sends carries no bidi override or invisible character of the stranger's."""

from __future__ import annotations

from dataclasses import replace

from inboxguard.domain.message import Address
from inboxguard.drafting.reply_draft import build_holding_reply
from inboxguard.drafting.templates import TemplateRenderer
from tests.drafting.test_reply_draft import ORIGINAL, body_of, make_input, reparse, templates

__all__ = ["templates"]  # the fixture, shared with the module it comes from

RLO = "\u202e"


def test_the_reply_subject_has_no_right_to_left_override(templates: TemplateRenderer) -> None:
    original = replace(ORIGINAL, subject=f"invoice {RLO}fdp.exe")
    msg = reparse(build_holding_reply(make_input(original=original), templates))
    assert str(msg["Subject"]) == "Re: invoice fdp.exe"


def test_the_reply_subject_drops_zero_width_characters(templates: TemplateRenderer) -> None:
    original = replace(ORIGINAL, subject="見積\u200bの\u2066ご相談\u2069")
    msg = reparse(build_holding_reply(make_input(original=original), templates))
    assert str(msg["Subject"]) == "Re: 見積のご相談"


def test_the_addressee_name_in_header_and_salutation_is_neutralised(
    templates: TemplateRenderer,
) -> None:
    sender = Address(f"山田{RLO}太郎", "taro@client.example")
    inp = make_input(
        original=replace(ORIGINAL, sender=sender),
        counterpart=sender,
        counterpart_display_name=f"山田{RLO}様",
    )
    built = build_holding_reply(inp, templates)
    assert str(reparse(built)["To"]) == "山田太郎 <taro@client.example>"
    body = body_of(built)
    assert body.startswith("山田様")
    assert RLO not in body.split("\n>", 1)[0]  # the salutation and our text; the quote is theirs
