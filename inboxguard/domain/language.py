"""Which language a client wrote in, for answering in it when no client rule says."""

from __future__ import annotations

import re

# Kana (hiragana, katakana, half-width katakana) and CJK ideographs: a client writing any of
# them writes Japanese; business mail in Chinese is not who InboxGuard serves.
_JAPANESE = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_LATIN = re.compile(r"[A-Za-z]")


def written_language(text: str) -> str | None:
    """``ja`` when the text has kana or kanji, ``en`` when it has Latin letters and neither,
    None when it has no words to tell by (an empty body, only numbers)."""
    if _JAPANESE.search(text):
        return "ja"
    if _LATIN.search(text):
        return "en"
    return None
