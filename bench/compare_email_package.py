"""How many fixture subjects, sender names and bodies the plain ``email`` package decodes exactly.

Run: .venv/bin/python bench/compare_email_package.py   (no arguments)

For every ``tests/messages/<name>.eml`` with its ``<name>.json`` this decodes the message three
ways and compares each against the recorded expectation:

* "email package (policy.default)": what a typical developer writes today:
  ``email.message_from_bytes(raw, policy=email.policy.default)``, ``str(msg["Subject"])``,
  ``msg["From"].addresses[0].display_name`` and
  ``msg.get_body(preferencelist=("plain", "html")).get_content()``.
* "email package (compat32 + decode_header)": a careful developer on the legacy API:
  ``make_header(decode_header(...))`` for the subject and sender name, and the first
  text/plain (else text/html) part's ``get_payload(decode=True)`` decoded with its declared
  charset (``errors="replace"``).
* "InboxGuard": ``inboxguard.parse.parse_message(raw)``.

Scoring rules, the same for every column:

* subject exact: equal to the recorded ``subject``;
* from name exact: equal to the recorded ``from.name``;
* body exact: after CRLF -> LF and stripping leading whitespace, the body starts with the
  recorded ``text_startswith`` (HTML is taken as-is: a plain developer does not strip tags);
* an output "has U+FFFD" / "has undecoded =?...?=" / "has lone surrogates" when the subject,
  sender name or body does;
* an exception in any step counts that step as wrong and the fixture as "raised".

Prints Markdown tables; asserts nothing. A fixture that cannot be read is reported and skipped.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import parseaddr
from pathlib import Path
from typing import Any, cast

from inboxguard.parse import parse_message

MESSAGES_DIR = Path(__file__).resolve().parent.parent / "tests" / "messages"

# Hiragana, katakana (incl. phonetic extensions), CJK ideographs (+ext. A, compatibility),
# CJK symbols/punctuation and half-width katakana.
JAPANESE = re.compile(
    "[\u3000-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]"
)
# policy.default smuggles undecodable header bytes through as U+DC80..U+DCFF surrogates.
SURROGATE = re.compile("[\ud800-\udfff]")
ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


@dataclass
class Decoded:
    """One decoder's view of a message; ``None`` means that step raised."""

    subject: str | None = None
    name: str | None = None
    body: str | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class Score:
    subject: bool
    name: bool
    body: bool
    fffd: bool
    encoded_word: bool
    surrogate: bool
    raised: bool

    def wrong_parts(self) -> list[str]:
        parts = [
            label
            for label, ok in (("subject", self.subject), ("from", self.name), ("body", self.body))
            if not ok
        ]
        if self.fffd:
            parts.append("U+FFFD")
        if self.encoded_word:
            parts.append("=?…?=")
        if self.surrogate:
            parts.append("lone surrogates")
        return parts


@dataclass
class Fixture:
    name: str
    expected: dict[str, Any]
    japanese: bool
    scores: dict[str, Score]
    errors: dict[str, list[str]]


def _attempt(decoded: Decoded, step: str, function: Callable[[], str]) -> str | None:
    try:
        return function()
    except Exception as error:  # a decoder blowing up is a result here, not a crash
        decoded.errors.append(f"{step}: {type(error).__name__}: {error}")
        return None


# --- email package, policy.default -----------------------------------------------------------


def decode_policy_default(raw: bytes) -> Decoded:
    decoded = Decoded()
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as error:
        decoded.errors.append(f"parse: {type(error).__name__}: {error}")
        return decoded

    def subject() -> str:
        value = message["Subject"]
        return "" if value is None else str(value)

    def name() -> str:
        header = message["From"]
        if header is None or not header.addresses:
            return ""
        return str(header.addresses[0].display_name)

    def body() -> str:
        part = message.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        return str(cast(EmailMessage, part).get_content())

    decoded.subject = _attempt(decoded, "subject", subject)
    decoded.name = _attempt(decoded, "from", name)
    decoded.body = _attempt(decoded, "body", body)
    return decoded


# --- email package, compat32 + decode_header/make_header --------------------------------------


def _decode_words(value: str) -> str:
    return str(make_header(decode_header(value)))


def _first_text_part(message: Message) -> Message | None:
    for subtype in ("plain", "html"):
        for part in message.walk():
            if part.is_multipart() or part.get_content_maintype() != "text":
                continue
            if part.get_content_subtype() != subtype:
                continue
            if part.get_content_disposition() == "attachment":
                continue
            return part
    return None


def decode_compat32(raw: bytes) -> Decoded:
    decoded = Decoded()
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception as error:
        decoded.errors.append(f"parse: {type(error).__name__}: {error}")
        return decoded

    def subject() -> str:
        value = message["Subject"]
        return "" if value is None else _decode_words(str(value))

    def name() -> str:
        value = message["From"]
        if value is None:
            return ""
        display_name, _address = parseaddr(str(value))
        return _decode_words(display_name)

    def body() -> str:
        part = _first_text_part(message)
        if part is None:
            return ""
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return ""
        charset = part.get_content_charset() or "us-ascii"
        return payload.decode(charset, errors="replace")

    decoded.subject = _attempt(decoded, "subject", subject)
    decoded.name = _attempt(decoded, "from", name)
    decoded.body = _attempt(decoded, "body", body)
    return decoded


# --- InboxGuard -------------------------------------------------------------------------------


def decode_inboxguard(raw: bytes) -> Decoded:
    decoded = Decoded()
    try:
        message = parse_message(raw)
    except Exception as error:
        decoded.errors.append(f"parse: {type(error).__name__}: {error}")
        return decoded
    decoded.subject = message.subject
    decoded.name = message.sender.name
    decoded.body = message.text
    return decoded


DECODERS: dict[str, Callable[[bytes], Decoded]] = {
    "email package (policy.default)": decode_policy_default,
    "email package (compat32 + decode_header)": decode_compat32,
    "InboxGuard": decode_inboxguard,
}


# --- scoring ----------------------------------------------------------------------------------


def _body_matches(body: str | None, expected_start: str) -> bool:
    if body is None:
        return False
    text = body.replace("\r\n", "\n").lstrip()
    return text.startswith(expected_start)


def score(decoded: Decoded, expected: dict[str, Any]) -> Score:
    outputs = [value for value in (decoded.subject, decoded.name, decoded.body) if value]
    return Score(
        subject=decoded.subject is not None and decoded.subject == expected["subject"],
        name=decoded.name is not None and decoded.name == expected["from"]["name"],
        body=_body_matches(decoded.body, expected["text_startswith"]),
        fffd=any("\ufffd" in value for value in outputs),
        encoded_word=any(ENCODED_WORD.search(value) for value in outputs),
        surrogate=any(SURROGATE.search(value) for value in outputs),
        raised=bool(decoded.errors),
    )


def is_japanese(name: str, expected: dict[str, Any]) -> bool:
    if name.startswith("ja_"):
        return True
    texts = [
        expected.get("subject", ""),
        expected.get("text_startswith", ""),
        expected.get("text", ""),
        expected.get("from", {}).get("name", ""),
    ]
    return any(isinstance(text, str) and JAPANESE.search(text) for text in texts)


def load_fixtures() -> tuple[list[Fixture], list[str]]:
    fixtures: list[Fixture] = []
    skipped: list[str] = []
    for path in sorted(MESSAGES_DIR.glob("*.eml")):
        try:
            expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            raw = path.read_bytes()
            for value in (
                expected["subject"],
                expected["from"]["name"],
                expected["text_startswith"],
            ):
                if not isinstance(value, str):
                    raise TypeError(f"expected a string, got {value!r}")
        except Exception as error:  # a fixture half-written by a concurrent edit, say
            skipped.append(f"{path.stem} ({type(error).__name__}: {error})")
            continue
        scores: dict[str, Score] = {}
        errors: dict[str, list[str]] = {}
        for column, decoder in DECODERS.items():
            try:
                decoded = decoder(raw)
            except Exception as error:
                decoded = Decoded(errors=[f"decoder: {type(error).__name__}: {error}"])
            scores[column] = score(decoded, expected)
            errors[column] = decoded.errors
        fixtures.append(
            Fixture(
                name=path.stem,
                expected=expected,
                japanese=is_japanese(path.stem, expected),
                scores=scores,
                errors=errors,
            )
        )
    return fixtures, skipped


# --- printing ---------------------------------------------------------------------------------

ROWS: list[tuple[str, Callable[[Score], bool]]] = [
    ("subjects exact", lambda s: s.subject),
    ("from names exact", lambda s: s.name),
    ("bodies (first lines) exact", lambda s: s.body),
    ("outputs with U+FFFD", lambda s: s.fffd),
    ("outputs with undecoded =?…?=", lambda s: s.encoded_word),
    ("outputs with lone surrogates (undecodable bytes)", lambda s: s.surrogate),
    ("exceptions raised", lambda s: s.raised),
]


def _count(fixtures: list[Fixture], column: str, test: Callable[[Score], bool]) -> str:
    return f"{sum(1 for item in fixtures if test(item.scores[column]))} / {len(fixtures)}"


def print_main_table(fixtures: list[Fixture]) -> None:
    columns = list(DECODERS)
    print("| | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for label, test in ROWS:
        cells = [_count(fixtures, column, test) for column in columns]
        print(f"| {label} | " + " | ".join(cells) + " |")


def print_split_table(fixtures: list[Fixture]) -> None:
    groups = [
        ("Japanese", [item for item in fixtures if item.japanese]),
        ("other", [item for item in fixtures if not item.japanese]),
    ]
    columns = list(DECODERS)
    print("| | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for label, test in ROWS[:3]:
        for group, items in groups:
            cells = [_count(items, column, test) for column in columns]
            print(f"| {label}, {group} | " + " | ".join(cells) + " |")


def print_wrong(fixtures: list[Fixture], column: str) -> None:
    print(f"Fixtures wrong with {column}:")
    print()
    wrong = [item for item in fixtures if item.scores[column].wrong_parts()]
    if not wrong:
        print("- none")
    for item in wrong:
        marker = " (ja)" if item.japanese else ""
        parts = ", ".join(item.scores[column].wrong_parts())
        line = f"- `{item.name}`{marker}: {parts}"
        if item.errors[column]:
            line += " — raised " + "; ".join(item.errors[column])
        print(line)
    print()


def main() -> None:
    fixtures, skipped = load_fixtures()
    japanese = sum(1 for item in fixtures if item.japanese)
    print(
        f"Fixtures: {len(fixtures)} from tests/messages "
        f"({japanese} Japanese, {len(fixtures) - japanese} other)."
    )
    if skipped:
        print("Skipped (unreadable pair): " + "; ".join(skipped))
    print()
    print_main_table(fixtures)
    print()
    print("Split (Japanese = file name starts with `ja_`, or expected text has kana/kanji):")
    print()
    print_split_table(fixtures)
    print()
    for column in DECODERS:
        if column != "InboxGuard":
            print_wrong(fixtures, column)
    print_wrong(fixtures, "InboxGuard")


if __name__ == "__main__":
    main()
