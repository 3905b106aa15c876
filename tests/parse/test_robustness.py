"""parse_message never raises, whatever bytes arrive, and always yields a usable id."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from inboxguard.domain.message import Message
from inboxguard.parse import parse_message

from .fixtures import fixture_bytes

FIXTURES = fixture_bytes()


def _assert_usable(message: Message) -> None:
    assert message.message_id.startswith("<")
    assert message.message_id.endswith(">")
    assert "\n" not in message.subject
    assert "\r" not in message.subject
    assert len(message.text) <= 8192


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    _assert_usable(parse_message(raw))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000).map(lambda text: text.encode("utf-8", "surrogatepass")))
def test_arbitrary_text_never_raises(raw: bytes) -> None:
    _assert_usable(parse_message(raw))


@st.composite
def mutated_fixture(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(FIXTURES)))
    operation = draw(st.sampled_from(["flip", "truncate", "insert", "duplicate_headers"]))
    if operation == "flip":
        for _ in range(draw(st.integers(min_value=1, max_value=20))):
            index = draw(st.integers(min_value=0, max_value=len(raw) - 1))
            raw[index] ^= draw(st.integers(min_value=1, max_value=255))
    elif operation == "truncate":
        raw = raw[: draw(st.integers(min_value=0, max_value=len(raw)))]
    elif operation == "insert":
        index = draw(st.integers(min_value=0, max_value=len(raw)))
        raw[index:index] = draw(st.binary(min_size=1, max_size=200))
    else:
        head, _, body = bytes(raw).partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        extra = draw(st.lists(st.sampled_from(lines), min_size=1, max_size=5))
        raw = bytearray(b"\r\n".join([*lines, *extra]) + b"\r\n\r\n" + body)
    return bytes(raw)


@settings(max_examples=200, deadline=None)
@given(mutated_fixture())
def test_mutated_fixtures_never_raise(raw: bytes) -> None:
    _assert_usable(parse_message(raw))


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=300), st.sampled_from(FIXTURES))
def test_garbage_in_every_header_position_never_raises(garbage: bytes, raw: bytes) -> None:
    for name in (b"Subject", b"From", b"To", b"Message-ID", b"References", b"Date"):
        _assert_usable(parse_message(name + b": " + garbage + b"\r\n" + raw))


def test_hostile_inputs_never_raise() -> None:
    hostile = [
        b"",
        b"\x00" * 1000,
        b"\r\n\r\n",
        b"Subject: =?ISO-2022-JP?B?GyRC?=\r\n\r\n\x1b$B",
        b"Subject: =?x-unknown?Q?=FF=FE?=\r\n\r\n",
        b"Content-Type: text/plain; charset=unicode_escape\r\n\r\n\\N{BEL}\\x00",
        b"Content-Type: text/plain; charset=zlib\r\n\r\nabc",
        b"Content-Type: multipart/mixed; boundary=a\r\n\r\n" + b"--a\r\n" * 5000,
        b"Content-Type: multipart/mixed\r\n\r\n--\r\n",
        b"Subject: " + b"=?utf-8?B?" * 5000 + b"\r\n\r\n",
        b"To: " + b"a@b, " * 20000 + b"\r\n\r\n",
        b"Date: Fri, 20 Nov 99999 10:00:00 +9999\r\n\r\n",
        b"Message-ID: <<<>>>\r\nReferences: <" + b"x" * 100000 + b">\r\n\r\n",
        b"\xff\xfe" + "Subject: x\r\n\r\nbody".encode("utf-16-le"),
    ]
    nested = b""
    for depth in range(300):
        nested = (
            f"Content-Type: multipart/mixed; boundary=b{depth}\r\n\r\n--b{depth}\r\n".encode()
            + nested
        )
    hostile.append(nested)
    for raw in hostile:
        message = parse_message(raw)
        _assert_usable(message)
