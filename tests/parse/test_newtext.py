"""New-text extraction: quotes, originals and signatures go; the sender's words stay."""

from __future__ import annotations

from inboxguard.parse.newtext import extract_new_text


def test_quote_lines_are_removed_from_interleaved_replies() -> None:
    text = "> 火曜は?\n火曜で大丈夫です。\n> 場所は?\n＞ 全角の引用\n弊社でお願いします。"
    assert extract_new_text(text).text == "火曜で大丈夫です。\n弊社でお願いします。"


def test_a_message_of_only_quote_looking_lines_is_kept() -> None:
    text = ">>> 至急 <<<\n> サーバー停止"
    assert extract_new_text(text).text == text


def test_wrote_line_without_following_quote_is_content() -> None:
    text = "Here is what the client wrote:\nThe server is down."
    assert extract_new_text(text).text == text


def test_on_wrote_attribution_cuts_the_rest() -> None:
    text = "OK.\n\nOn Thu, Nov 19, 2026 at 9:00 AM Hanako wrote:\nold text without markers"
    assert extract_new_text(text).text == "OK."


def test_japanese_date_attribution_needs_a_quote_after_it() -> None:
    attribution = "2026年11月20日(金) 10:00 山田太郎 <taro@client.example>:"
    assert extract_new_text(f"了解です。\n\n{attribution}\n> 元の文").text == "了解です。"
    assert extract_new_text(f"{attribution}\n本文").text == f"{attribution}\n本文"


def test_san_wa_kakimashita_attribution() -> None:
    text = "承知しました。\n山田太郎 さんは書きました:\n元の文"
    assert extract_new_text(text).text == "承知しました。"


def test_outlook_header_block_and_everything_after_is_removed() -> None:
    text = "Will do.\n\nFrom: Hanako\nSent: Thursday\nTo: Taro\nSubject: x\n\nold"
    assert extract_new_text(text).text == "Will do."


def test_original_message_separator_in_japanese() -> None:
    text = "確認します。\n-----元のメッセージ-----\n差出人: 佐藤\n送信日時: 11月19日"
    assert extract_new_text(text).text == "確認します。"


def test_forward_without_comment_has_no_new_text() -> None:
    text = "---------- Forwarded message ---------\nFrom: a\nDate: b\n\nforwarded body"
    assert extract_new_text(text).text == ""


def test_dash_dash_signature_is_removed() -> None:
    assert extract_new_text("Body\n--\nTaro").text == "Body"
    assert extract_new_text("Body\n-- \nTaro").text == "Body"


def test_japanese_signature_rule_needs_signature_content_after_it() -> None:
    rule = "=" * 12
    assert extract_new_text(f"本文\n{rule}\n株式会社サンプル\nTEL 03").text == "本文"
    assert extract_new_text(f"本文\n{rule}\n表の続き\n").text == f"本文\n{rule}\n表の続き"


def test_line_endings_and_trailing_whitespace_are_normalised() -> None:
    assert extract_new_text("a  \r\nb\t\rc\r\n\r\n\r\n").text == "a\nb\nc"
