"""The part of a message body its sender just wrote: quotes, forwarded originals and
signatures removed.

Acknowledgement and incident rules match against this text, so a quoted "障害" from three
mails ago must not count again, and a signature's "TEL" must not look like content. The
rules are conservative: an attribution line counts only when quoted text follows it (or it
has the unmistakable "On ... wrote:" shape), and when stripping would leave nothing of a
message that had no explicit quote marker, the message is kept whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]")
_QUOTE_LINE = re.compile(r"^[ \t]*[>＞]")

# Attribution lines introduce the quoted original. Each pattern is tried on a line and on
# the line joined with the next, because Gmail wraps long attributions.
_STRONG_ATTRIBUTION = (
    re.compile(r"^\s*On\s.{1,300}\swrote\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*.{1,200}さん(?:は|が)?書きました\s*[:：]?\s*$"),
    re.compile(r"^\s*Am\s.{1,300}\sschrieb\s.{0,100}:\s*$"),
)
_WEAK_ATTRIBUTION = (
    re.compile(r"^.{1,300}\s(?:wrote|writes)\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.{0,200}[<@].{0,200}[:：]\s*$"),
    re.compile(r"^\s*\d{4}/\d{1,2}/\d{1,2}.{0,200}[<@].{0,200}[:：]\s*$"),
    re.compile(r"^.{1,300}のメール\s*[:：]\s*$"),
)
_ATTRIBUTION_START = re.compile(r"^\s*(?:On\s|Am\s|\d{4}\s*年|\d{4}/)", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|元のメッセージ|Forwarded message|転送メッセージ"
    r"|転送されたメッセージ|Original-Nachricht|Message d'origine)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_FORWARD_LINE = re.compile(r"^\s*Begin forwarded message\s*:\s*$", re.IGNORECASE)
_HEADER_FROM = re.compile(r"^\s*\*?(?:From|差出人|送信者|Von|De)\s*\*?\s*[:：]", re.IGNORECASE)
_HEADER_SENT = re.compile(
    r"^\s*\*?(?:Sent|Date|送信日時|送信日|日付|日時|Gesendet|Envoyé)\s*\*?\s*[:：]", re.IGNORECASE
)
_RULE_BEFORE_HEADERS = re.compile(r"^\s*[_\-=━─]{8,}\s*$")
_SIGNATURE_DASHES = "--"
_SIGNATURE_RULE = re.compile(r"^\s*[━─\-=＝*＊※_＿~〜～+]{10,}\s*$")
_SIGNATURE_MARKER = re.compile(
    r"TEL|FAX|Mobile|E-?mail|URL|https?://|電話|携帯|メール|〒|株式会社|㈱|有限会社|合同会社|@",
    re.IGNORECASE,
)
SIGNATURE_WINDOW = 15
_LOOKAHEAD = 3


@dataclass(frozen=True, slots=True)
class NewText:
    """The extracted text and whether anything (quote, original, signature) was cut."""

    text: str
    cut: bool


def _next_content(lines: list[str], start: int) -> str | None:
    for line in lines[start : start + _LOOKAHEAD + 1]:
        if line.strip():
            return line
    return None


def _is_attribution(text: str, lines: list[str], after: int) -> bool:
    if any(pattern.match(text) for pattern in _STRONG_ATTRIBUTION):
        return True
    if any(pattern.match(text) for pattern in _WEAK_ATTRIBUTION):
        following = _next_content(lines, after)
        return following is not None and _QUOTE_LINE.match(following) is not None
    return False


# Every attribution pattern ends in a colon or in 書きました; lines are right-stripped. A
# line (or a wrapped pair) that does not end so is skipped without trying the patterns,
# which most lines of most mail are.
_ATTRIBUTION_ENDINGS = (":", "：", "書きました")


def _attribution_at(lines: list[str], index: int) -> bool:
    next_line = lines[index + 1] if index + 1 < len(lines) else ""
    if not lines[index].endswith(_ATTRIBUTION_ENDINGS) and not next_line.endswith(
        _ATTRIBUTION_ENDINGS
    ):
        return False
    if _is_attribution(lines[index], lines, index + 1):
        return True
    if index + 1 >= len(lines):
        return False
    # Gmail wraps a long attribution over two lines. The pair counts when this line opens
    # an attribution, or when the next line is not one by itself (else the next line is
    # the attribution and this one is content).
    joined = f"{lines[index]} {lines[index + 1]}"
    if not _is_attribution(joined, lines, index + 2):
        return False
    return bool(_ATTRIBUTION_START.match(lines[index])) or not _is_attribution(
        lines[index + 1], lines, index + 2
    )


def _header_block_at(lines: list[str], index: int) -> bool:
    if not _HEADER_FROM.match(lines[index]):
        return False
    window = lines[index + 1 : index + 6]
    return any(_HEADER_SENT.match(line) for line in window)


def _find_original(lines: list[str]) -> int | None:
    """Index of the first line that starts a quoted or forwarded original, if any."""
    for index, line in enumerate(lines):
        if _QUOTE_LINE.match(line):
            continue
        if _SEPARATOR.match(line) or _FORWARD_LINE.match(line):
            return index
        if _header_block_at(lines, index):
            # Outlook draws a rule (underscores) above the header block; it goes too.
            start = index
            while start > 0 and (
                not lines[start - 1].strip() or _RULE_BEFORE_HEADERS.match(lines[start - 1])
            ):
                start -= 1
            return start if start < index and _has_rule(lines, start, index) else index
        if _attribution_at(lines, index):
            return index
    return None


def _has_rule(lines: list[str], start: int, end: int) -> bool:
    return any(_RULE_BEFORE_HEADERS.match(line) for line in lines[start:end])


def _find_signature(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if index > 0 and line == _SIGNATURE_DASHES:
            return index
    first_candidate = max(1, len(lines) - SIGNATURE_WINDOW)
    for index in range(first_candidate, len(lines)):
        if _SIGNATURE_RULE.match(lines[index]) and any(
            _SIGNATURE_MARKER.search(line) for line in lines[index + 1 :]
        ):
            return index
    return None


def _tidy(lines: list[str]) -> str:
    kept: list[str] = []
    for line in lines:
        if not line and (not kept or not kept[-1]):
            continue  # runs of blank lines, and leading ones, say nothing
        kept.append(line)
    return "\n".join(kept).strip("\n")


def normalise_lines(text: str) -> list[str]:
    """Lines with \\n endings, control characters removed and trailing whitespace stripped."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [line.rstrip() for line in text.split("\n")]


def extract_new_text(text: str) -> NewText:
    """Remove quoted text, the forwarded/replied-to original and the signature."""
    lines = normalise_lines(text)
    original = _find_original(lines)
    explicit_marker = original is not None
    body = lines if original is None else lines[:original]
    unquoted = [line for line in body if not _QUOTE_LINE.match(line)]
    signature = _find_signature(unquoted)
    if signature is not None:
        unquoted = unquoted[:signature]
    result = _tidy(unquoted)
    if not result and not explicit_marker:
        # Only quote-looking lines or only a "signature": the sender meant them as content.
        return NewText(_tidy(lines), cut=False)
    cut = explicit_marker or signature is not None or len(unquoted) != len(body)
    return NewText(result, cut=cut)
