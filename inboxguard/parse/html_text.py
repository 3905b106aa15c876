"""Readable text from an HTML body, without what the sender quoted.

Used only when a message has no text/plain part. Mail clients mark the quoted part of a
reply in their HTML (Gmail's ``gmail_quote``, Outlook's ``divRplyFwdMsg`` and
``appendonsend``, ``<blockquote>`` everywhere), which is more reliable than guessing from
the text afterwards, so those sections are dropped here.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "tr",
        "ul",
    }
)
# Gmail wraps the attribution and quote in these; the signature is not new text either.
_SKIPPED_CLASSES = frozenset({"gmail_quote", "gmail_signature", "moz-cite-prefix"})
# Outlook marks where the quoted original starts; everything after it is the original.
_CUT_IDS = frozenset({"divrplyfwdmsg", "appendonsend"})
_SPACES = re.compile(r"[ \t\r\n\f\v\xa0]+")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+\n")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_tag: str | None = None
        self._skip_depth = 0
        self._pre_depth = 0
        self.cut = False

    def _starts_skip(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if tag in _SKIPPED_TAGS or tag == "blockquote":
            return True
        for name, value in attrs:
            if name == "class" and value and _SKIPPED_CLASSES & set(value.split()):
                return True
        return False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cut:
            return
        if self._skip_tag == "head" and tag == "body":
            self._skip_tag = None  # an unclosed <head> ends where <body> starts
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth += 1
            return
        if any(name == "id" and (value or "").lower() in _CUT_IDS for name, value in attrs):
            self.cut = True
            return
        if self._starts_skip(tag, attrs):
            self._skip_tag, self._skip_depth = tag, 1
            return
        if tag == "pre":
            self._pre_depth += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <div id="appendonsend"/> and <br/> carry meaning even when self-closed.
        self.handle_starttag(tag, attrs)
        if self._skip_tag == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.cut:
            return
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth -= 1
                if self._skip_depth == 0:
                    self._skip_tag = None
            return
        if tag == "pre" and self._pre_depth:
            self._pre_depth -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.cut or self._skip_tag is not None:
            return
        if self._pre_depth:
            self.parts.append(data.replace("\xa0", " "))
        else:
            self.parts.append(_SPACES.sub(" ", data))


def _defuse(html: str) -> str:
    """Remove comments, declarations and "<" that open no tag, in one linear pass.

    ``HTMLParser`` rescans from an unfinished construct to the end of the input each time it
    meets one, so "<a <a <a ..." or an unclosed "<!--" costs quadratic time (minutes for a
    hostile 100 KB body). After this pass every "<" it sees opens a tag closed before the
    next "<", and comments, doctypes and processing instructions (which hold no text) are gone.
    """
    out: list[str] = []
    position = 0
    close = -1  # position of the next ">" at or after the current "<", once searched
    while (start := html.find("<", position)) >= 0:
        out.append(html[position:start])
        if html.startswith("<!--", start):
            end = html.find("-->", start + 4)
            if end < 0:
                return "".join(out)  # an unclosed comment hides the rest, as in a browser
            position = end + 3
            continue
        if close <= start:
            close = html.find(">", start + 1)
            if close < 0:
                close = len(html)
        following = html.find("<", start + 1, close)
        if close == len(html) or following >= 0:
            out.append("&lt;")
            position = start + 1
        elif html.startswith(("<!", "<?"), start):
            position = close + 1
        else:
            out.append(html[start : close + 1])
            position = close + 1
    out.append(html[position:])
    return "".join(out)


def html_to_text(html: str) -> str:
    """Text of ``html`` with block elements as line breaks and quoted sections removed."""
    collector = _TextCollector()
    try:
        collector.feed(_defuse(html))
        collector.close()
    except Exception:  # HTMLParser is lenient, but hostile input must not escape
        collector.parts.append("")
    lines = [line.strip(" ") for line in "".join(collector.parts).split("\n")]
    text = "\n".join(lines)
    return _BLANK_LINES.sub("\n\n", text).strip("\n")
