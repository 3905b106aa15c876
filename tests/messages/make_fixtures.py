"""Write the ``tests/messages/*.eml`` fixtures and the ``*.json`` results they must parse to.

Run ``python tests/messages/make_fixtures.py`` after changing a case. Messages are built
byte by byte, the way the mailers that produce them do (CP932 text converted to JIS escape
sequences, encoded-words cut in the middle of a character, raw 8-bit headers), because the
point is to reproduce mail the stdlib reads wrongly. The expected values are written from
the source strings here, never from the parser's output.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CRLF = b"\r\n"


def sjis_to_jis(data: bytes) -> bytes:
    """CP932 bytes to ISO-2022-JP the way CP50220 writes them (NEC/IBM rows, ESC ( I kana)."""
    out = bytearray()
    mode = "ascii"
    pos = 0

    def switch(new: str) -> None:
        nonlocal mode
        if new != mode:
            out.extend({"ascii": b"\x1b(B", "kanji": b"\x1b$B", "kana": b"\x1b(I"}[new])
            mode = new

    while pos < len(data):
        byte = data[pos]
        if byte < 0x80:
            switch("ascii")
            out.append(byte)
            pos += 1
        elif 0xA1 <= byte <= 0xDF:
            switch("kana")
            out.append(byte - 0x80)
            pos += 1
        else:
            s1, s2 = byte, data[pos + 1]
            row = s1 - 0x70 if s1 < 0xA0 else s1 - 0xB0
            if s2 < 0x9F:
                j1, j2 = row * 2 - 1, s2 - 0x1F if s2 < 0x7F else s2 - 0x20
            else:
                j1, j2 = row * 2, s2 - 0x7E
            switch("kanji")
            out.extend((j1, j2))
            pos += 2
    switch("ascii")
    return bytes(out)


def jis(text: str) -> bytes:
    """ISO-2022-JP (CP50220) bytes of ``text``, line by line so every line ends in ASCII."""
    return b"\r\n".join(sjis_to_jis(line.encode("cp932")) for line in text.split("\n"))


def b_words(data: bytes, charset: str, size: int) -> bytes:
    """Encoded-words of ``size`` raw bytes each: deliberately cut mid-character."""
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    words = [f"=?{charset}?B?{base64.b64encode(chunk).decode()}?=".encode() for chunk in chunks]
    return b"\r\n ".join(words)


def q_word(text: str, charset: str = "UTF-8") -> bytes:
    raw = text.encode(charset)
    encoded = "".join(
        "_"
        if byte == 0x20
        else chr(byte)
        if chr(byte).isalnum() and byte < 0x80
        else f"={byte:02X}"
        for byte in raw
    )
    return f"=?{charset}?Q?{encoded}?=".encode()


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def message(headers: list[tuple[str, bytes]], body: bytes) -> bytes:
    head = b"".join(name.encode() + b": " + value + CRLF for name, value in headers)
    return head + CRLF + body


def base_headers(
    subject: bytes,
    sender: bytes = b"Taro Yamada <taro@client.example>",
    message_id: str | None = "<fixture@client.example>",
) -> list[tuple[str, bytes]]:
    headers = [
        ("From", sender),
        ("To", b"Hanako Sato <hanako@example.jp>"),
        ("Subject", subject),
        ("Date", b"Fri, 20 Nov 2026 10:00:00 +0900"),
    ]
    if message_id is not None:
        headers.append(("Message-ID", message_id.encode()))
    headers.append(("MIME-Version", b"1.0"))
    return headers


FIXTURES: dict[str, tuple[bytes, dict[str, Any]]] = {}


def fixture(name: str, raw: bytes, **expected: Any) -> None:
    FIXTURES[name] = (raw, expected)


TARO = {"name": "Taro Yamada", "address": "taro@client.example"}
YAMADA_JA = {"name": "山田太郎", "address": "taro@client.example"}


def _charset_fixtures() -> None:
    """Japanese charsets: CP50220 extensions, split encoded-words, wrong and missing labels."""
    # 1. ISO-2022-JP with NEC row 13, IBM extensions and half-width katakana, in the subject
    #    (encoded-words split mid-character) and the body.
    subject = "①㈱Ⅱ髙﨑の件 ｶﾀｶﾅ"
    body = "髙橋様\n\n①の件、㈱サンプルで対応します。ﾃｽﾄ完了はⅡ期です。\n"
    fixture(
        "iso2022jp_nec_extensions",
        message(
            [
                *base_headers(
                    b_words(jis(subject), "ISO-2022-JP", 7),
                    sender=b_words(jis("山田太郎"), "ISO-2022-JP", 40) + b" <Taro@Client.Example>",
                ),
                ("Content-Type", b"text/plain; charset=ISO-2022-JP"),
                ("Content-Transfer-Encoding", b"7bit"),
            ],
            jis(body.rstrip("\n")) + CRLF,
        ),
        subject=subject,
        **{"from": YAMADA_JA},
        text_startswith="髙橋様\n\n①の件、㈱サンプルで対応します。ﾃｽﾄ完了はⅡ期です。",
        charset_repairs_nonempty=True,
    )
    # 2. A long ISO-2022-JP subject split by the mailer every 9 bytes, Q words mixed in.
    subject = "【至急】サーバー停止のご報告と今後の対応について"
    fixture(
        "iso2022jp_split_encoded_words",
        message(
            [
                *base_headers(b_words(jis(subject), "iso-2022-jp", 9)),
                ("Content-Type", b"text/plain; charset=iso-2022-jp"),
            ],
            jis("お世話になっております。\n本日サーバーが停止しました。") + CRLF,
        ),
        subject=subject,
        **{"from": TARO},
        text_startswith="お世話になっております。\n本日サーバーが停止しました。",
    )
    # 3. UTF-8 encoded-words cut inside a three-byte sequence, folded with tabs.
    subject = "お見積りのご依頼（2026年度）"
    words = b_words(subject.encode("utf-8"), "UTF-8", 10).replace(b"\r\n ", b"\r\n\t")
    fixture(
        "utf8_split_encoded_words",
        message(
            [*base_headers(words), ("Content-Type", b"text/plain; charset=UTF-8")],
            "見積りをお願いします。\r\n".encode(),
        ),
        subject=subject,
        **{"from": TARO},
        text_startswith="見積りをお願いします。",
    )
    # 4. Shift_JIS label on CP932 text (NEC and IBM characters present), 8-bit body.
    subject = "髙﨑様 ①の件"
    fixture(
        "shift_jis_label_cp932_text",
        message(
            [
                *base_headers(b_words(subject.encode("cp932"), "Shift_JIS", 64)),
                ("Content-Type", b'text/plain; charset="Shift_JIS"'),
                ("Content-Transfer-Encoding", b"8bit"),
            ],
            crlf("髙﨑様\n\n①納品物を送付しました。㈱テスト\n").encode("cp932"),
        ),
        subject=subject,
        **{"from": TARO},
        text_startswith="髙﨑様\n\n①納品物を送付しました。㈱テスト",
        charset_repairs_nonempty=True,
    )
    # 5. Windows-31J and x-sjis labels (correct for CP932: no repair needed).
    fixture(
        "windows_31j_label",
        message(
            [
                *base_headers(b_words("請求書送付の件".encode("cp932"), "Windows-31J", 64)),
                ("Content-Type", b"text/plain; charset=Windows-31J"),
                ("Content-Transfer-Encoding", b"8bit"),
            ],
            crlf("請求書を送付いたします。～よろしくお願いします～\n").encode("cp932"),
        ),
        subject="請求書送付の件",
        **{"from": TARO},
        text_startswith="請求書を送付いたします。～よろしくお願いします～",
    )
    # 6. No charset anywhere: raw JIS escapes in the Subject header and the body.
    fixture(
        "no_charset_jis_escapes",
        message(
            [*base_headers(jis("打ち合わせ日程のご相談")), ("Content-Type", b"text/plain")],
            jis("来週の打ち合わせですが、①火曜 ②水曜のどちらかでいかがでしょうか。") + CRLF,
        ),
        subject="打ち合わせ日程のご相談",
        **{"from": TARO},
        text_startswith="来週の打ち合わせですが、①火曜 ②水曜のどちらかでいかがでしょうか。",
        charset_repairs_nonempty=True,
    )
    # 7. No charset, raw 8-bit Shift_JIS in Subject and From (0x5C trail bytes: "ソ", "表").
    fixture(
        "no_charset_8bit_sjis",
        message(
            [
                *base_headers(
                    "ソフト表示の不具合".encode("cp932"),
                    sender="山田太郎".encode("cp932") + b" <taro@client.example>",
                ),
            ],
            crlf("ソフトの表示が崩れています。\nご確認ください。\n").encode("cp932"),
        ),
        subject="ソフト表示の不具合",
        **{"from": YAMADA_JA},
        text_startswith="ソフトの表示が崩れています。\nご確認ください。",
        charset_repairs_nonempty=True,
    )
    # 8. UTF-8 body in base64.
    text = "ご連絡ありがとうございます。\n承知しました。\n"
    fixture(
        "utf8_base64",
        message(
            [
                *base_headers(b"=?UTF-8?B?" + base64.b64encode("Re: ご確認".encode()) + b"?="),
                ("Content-Type", b"text/plain; charset=utf-8"),
                ("Content-Transfer-Encoding", b"base64"),
            ],
            base64.encodebytes(crlf(text).encode()).replace(b"\n", CRLF),
        ),
        subject="Re: ご確認",
        **{"from": TARO},
        text_startswith="ご連絡ありがとうございます。\n承知しました。",
    )
    # 9. UTF-8 body in quoted-printable with soft line breaks, Q-encoded subject.
    text = "納期について、11月25日までにご回答いたします。" * 2 + "\n"
    fixture(
        "utf8_quoted_printable",
        message(
            [
                *base_headers(q_word("納期 の件")),
                ("Content-Type", b"text/plain; charset=UTF-8"),
                ("Content-Transfer-Encoding", b"quoted-printable"),
            ],
            binascii.b2a_qp(crlf(text).encode()).replace(b"\n", CRLF),
        ),
        subject="納期 の件",
        **{"from": TARO},
        text_startswith="納期について、11月25日までにご回答いたします。納期について",
    )
    # 21. 〜 (U+301C) written by a Mac in ISO-2022-JP, ～ (U+FF5E) by Windows in the body:
    #     after normalisation both read the same. JIS 0x2141 reads as U+FF5E under CP50220.
    fixture(
        "wave_dash_variants",
        message(
            [
                *base_headers(
                    b"=?ISO-2022-JP?B?"
                    + base64.b64encode("10:00〜12:00".encode("iso2022_jp"))
                    + b"?="
                ),
                ("Content-Type", b"text/plain; charset=UTF-8"),
            ],
            "10:00～12:00で伺います。\r\n".encode(),
        ),
        subject="10:00～12:00",
        subject_normalised="10:00~12:00",
        **{"from": TARO},
        text_startswith="10:00～12:00で伺います。",
    )
    # 25. EUC-JP label on text with an NEC row-13 character (CP51932 / eucJP-ms).
    fixture(
        "euc_jp_nec_extension",
        message(
            [
                *base_headers(
                    b"=?EUC-JP?B?" + base64.b64encode("確認依頼".encode("euc_jp")) + b"?="
                ),
                ("Content-Type", b"text/plain; charset=EUC-JP"),
                ("Content-Transfer-Encoding", b"8bit"),
            ],
            # ① in EUC (eucJP-ms/CP51932) is 0xADA1: JIS row 13 with the high bits set.
            "手順".encode("euc_jp") + b"\xad\xa1" + "を確認してください。\r\n".encode("euc_jp"),
        ),
        subject="確認依頼",
        **{"from": TARO},
        text_startswith="手順①を確認してください。",
        charset_repairs_nonempty=True,
    )
    # 26. unicode-1-1-utf-7 (old Outlook Express) and a misspelled "uft-8" subject charset.
    fixture(
        "utf7_and_misspelled_label",
        message(
            [
                *base_headers(b"=?uft-8?B?" + base64.b64encode("納品".encode()) + b"?="),
                ("Content-Type", b"text/plain; charset=unicode-1-1-utf-7"),
            ],
            "ご確認ください。".encode("utf-7") + CRLF,
        ),
        subject="納品",
        **{"from": TARO},
        text_startswith="ご確認ください。",
        charset_repairs_nonempty=True,
    )
    # 30. SO/SI half-width katakana inside ISO-2022-JP and a Shift_JIS subject label.
    body_bytes = b"\x1b$B%F%9%H\x1b(B \x0e6@\x0f OK"  # テスト ｶﾀ OK
    fixture(
        "iso2022jp_so_si_kana",
        message(
            [
                *base_headers(b"=?SHIFT_JIS?B?" + base64.b64encode("ｶﾀｶﾅ".encode("cp932")) + b"?="),
                ("Content-Type", b"text/plain; charset=ISO-2022-JP"),
            ],
            body_bytes + CRLF,
        ),
        subject="ｶﾀｶﾅ",
        **{"from": TARO},
        text_startswith="テスト ｶﾀ OK",
        charset_repairs_nonempty=True,
    )


def _reply_fixtures() -> None:
    """Reply shapes: quotes, attributions, Outlook header blocks, signatures, HTML."""
    # 10. multipart/alternative with only an HTML part: Gmail quote, script and style dropped.
    html = (
        "<html><head><style>p{color:red}</style><title>t</title></head><body>"
        "<div dir='ltr'>サーバーが<b>ダウン</b>しています。<br>"
        "至急ご確認ください&amp;ご連絡ください。"
        "</div><script>alert(1)</script>"
        "<div class='gmail_quote'><div class='gmail_attr'>2026年11月19日(木) 9:00 Hanako</div>"
        "<blockquote>前回のメール</blockquote></div></body></html>"
    )
    fixture(
        "html_only_alternative",
        message(
            [
                *base_headers(b"=?UTF-8?B?" + base64.b64encode("障害のご連絡".encode()) + b"?="),
                ("Content-Type", b'multipart/alternative; boundary="b1"'),
            ],
            b"--b1\r\nContent-Type: text/html; charset=UTF-8\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(html.encode()).replace(b"\n", CRLF)
            + b"--b1--\r\n",
        ),
        subject="障害のご連絡",
        **{"from": TARO},
        content_type="multipart/alternative",
        text="サーバーがダウンしています。\n至急ご確認ください&ご連絡ください。",
        text_startswith="サーバーがダウンしています。",
        text_excludes=["前回のメール", "alert", "color", "2026年11月19日"],
    )
    # 11. Outlook reply: Thread-Index, In-Reply-To but no References, "Original Message".
    fixture(
        "outlook_original_message",
        message(
            [
                *base_headers(b"RE: Project update"),
                ("In-Reply-To", b"<orig-1@example.jp>"),
                ("Thread-Index", b"AdnQx1fOa5rSbY9pTl2uUbc0A2e1Ow=="),
                ("X-Mailer", b"Microsoft Outlook 16.0"),
                ("Content-Type", b'text/plain; charset="us-ascii"'),
            ],
            crlf(
                "Thanks, we will send the revised plan by Friday.\n\nBest regards,\nTaro\n\n"
                "-----Original Message-----\nFrom: Hanako Sato <hanako@example.jp>\n"
                "Sent: Thursday, November 19, 2026 9:00 AM\nTo: Taro Yamada\n"
                "Subject: Project update\n\nPlease send the plan.\n"
            ).encode(),
        ),
        subject="RE: Project update",
        **{"from": TARO},
        in_reply_to=["<orig-1@example.jp>"],
        references=[],
        thread_index="AdnQx1fOa5rSbY9pTl2uUbc0A2e1Ow==",
        text_startswith="Thanks, we will send the revised plan by Friday.",
        text_excludes=["Original Message", "Please send the plan"],
    )
    # 12. Japanese Outlook: an underscore rule and a 差出人/送信日時 header block.
    fixture(
        "outlook_japanese_header_block",
        message(
            [
                *base_headers(b"=?iso-2022-jp?B?" + base64.b64encode(jis("RE: 納品の件")) + b"?="),
                ("Thread-Index", b"AQHZ0MdXzmua0m2PaU5drlG3NANntQ=="),
                ("Content-Type", b"text/plain; charset=iso-2022-jp"),
            ],
            jis(
                "佐藤様\n\n承知しました。\n\n________________________________\n"
                "差出人: 佐藤 花子 <hanako@example.jp>\n送信日時: 2026年11月19日 9:00\n"
                "宛先: 山田 太郎\n件名: 納品の件\n\n納品物をお送りします。"
            )
            + CRLF,
        ),
        subject="RE: 納品の件",
        **{"from": TARO},
        text="佐藤様\n\n承知しました。",
        text_startswith="佐藤様",
        text_excludes=["差出人", "納品物をお送りします"],
    )
    # 13. Gmail "On ... wrote:" wrapped over two lines, then "> " quotes; References chain.
    fixture(
        "gmail_on_wrote",
        message(
            [
                *base_headers(b"Re: Invoice"),
                ("In-Reply-To", b"<b@example.jp>"),
                ("References", b"<a@example.jp> <b@example.jp>"),
                ("Content-Type", b'text/plain; charset="UTF-8"'),
            ],
            crlf(
                "Got it, thanks!\n\nOn Thu, Nov 19, 2026 at 9:00 AM Hanako Sato <\n"
                "hanako@example.jp> wrote:\n\n> Here is the invoice.\n> Regards\n"
            ).encode(),
        ),
        subject="Re: Invoice",
        **{"from": TARO},
        in_reply_to=["<b@example.jp>"],
        references=["<a@example.jp>", "<b@example.jp>"],
        text="Got it, thanks!",
        text_startswith="Got it, thanks!",
    )
    # 14. Japanese Gmail attribution line.
    fixture(
        "gmail_japanese_attribution",
        message(
            [
                *base_headers(b"=?UTF-8?B?" + base64.b64encode("Re: 見積".encode()) + b"?="),
                ("Content-Type", b"text/plain; charset=UTF-8"),
                ("Content-Transfer-Encoding", b"8bit"),
            ],
            crlf(
                "ありがとうございました。\n\n"
                "2026年11月20日(金) 10:00 山田太郎 <taro@client.example>:\n\n"
                "> 見積書を添付します。\n> よろしくお願いします。\n"
            ).encode(),
        ),
        subject="Re: 見積",
        **{"from": TARO},
        text="ありがとうございました。",
        text_startswith="ありがとうございました。",
    )
    # 15. Thunderbird (ja): "...さんは書きました:" attribution and full-width ＞ quotes.
    fixture(
        "thunderbird_san_wa_kakimashita",
        message(
            [
                *base_headers(b"=?UTF-8?B?" + base64.b64encode("Re: 打ち合わせ".encode()) + b"?="),
                ("Content-Type", b"text/plain; charset=UTF-8; format=flowed"),
                ("Content-Transfer-Encoding", b"8bit"),
            ],
            crlf(
                "了解です。\n火曜でお願いします。\n\n"
                "On 2026/11/19 9:00, 佐藤花子 さんは書きました:\n＞ 火曜か水曜でいかがでしょう。\n"
            ).encode(),
        ),
        subject="Re: 打ち合わせ",
        **{"from": TARO},
        text="了解です。\n火曜でお願いします。",
        text_startswith="了解です。",
    )
    # 16. A "-- " signature separator.
    fixture(
        "signature_dash_dash_space",
        message(
            [*base_headers(b"Quick question"), ("Content-Type", b"text/plain; charset=utf-8")],
            crlf(
                "Could you check the staging server?\n\n-- \nTaro Yamada\nTEL 03-0000-0000\n"
            ).encode(),
        ),
        subject="Quick question",
        **{"from": TARO},
        text="Could you check the staging server?",
        text_startswith="Could you check the staging server?",
        text_excludes=["TEL"],
    )
    # 17. A Japanese signature framed by ━ rules at the end.
    rule = "━" * 20
    fixture(
        "japanese_signature_rule",
        message(
            [
                *base_headers(b"=?UTF-8?B?" + base64.b64encode("資料送付".encode()) + b"?="),
                ("Content-Type", b"text/plain; charset=UTF-8"),
                ("Content-Transfer-Encoding", b"8bit"),
            ],
            crlf(
                f"資料をお送りします。\nご査収ください。\n\n{rule}\n株式会社クライアント\n"
                f"山田 太郎\nTEL: 03-0000-0000\nE-mail: taro@client.example\n{rule}\n"
            ).encode(),
        ),
        subject="資料送付",
        **{"from": TARO},
        text="資料をお送りします。\nご査収ください。",
        text_startswith="資料をお送りします。",
    )


def _header_fixtures() -> None:
    """Header oddities: missing fields, junk in threading headers, raw UTF-8."""
    # 18. No Message-ID: a stable synthesized one.
    fixture(
        "missing_message_id",
        message(
            [*base_headers(b"No id here", message_id=None), ("Content-Type", b"text/plain")],
            b"Hello without an id.\r\n",
        ),
        subject="No id here",
        **{"from": TARO},
        message_id_synthesized=True,
        text_startswith="Hello without an id.",
    )
    # 19. No Date header.
    headers = [item for item in base_headers(b"Undated") if item[0] != "Date"]
    fixture(
        "missing_date",
        message([*headers, ("Content-Type", b"text/plain")], b"When was this sent?\r\n"),
        subject="Undated",
        **{"from": TARO},
        date=None,
        text_startswith="When was this sent?",
    )
    # 20. From with a display name and no address.
    fixture(
        "from_without_address",
        message(
            [
                *base_headers(
                    b"Who am I",
                    sender=b"=?UTF-8?B?" + base64.b64encode("山田太郎".encode()) + b"?=",
                ),
                ("Content-Type", b"text/plain"),
            ],
            b"No address in From.\r\n",
        ),
        subject="Who am I",
        **{"from": {"name": "山田太郎", "address": ""}},
        text_startswith="No address in From.",
    )
    # 22. Threading headers full of junk: comments, commas, missing brackets, duplicates.
    fixture(
        "references_junk",
        message(
            [
                *base_headers(
                    b"Re: Re: thread", message_id=" (comment) <\r\n mid-22@client.example >"
                ),
                ("In-Reply-To", b'<p2@example.jp> (Hanako\'s message of "Thu, 19 Nov 2026")'),
                (
                    "References",
                    b"<p0@example.jp>,<p1@example.jp> junk p1b@example.jp\r\n"
                    b" <p2@example.jp> <p1@example.jp>",
                ),
                ("Content-Type", b"text/plain"),
            ],
            b"Threading test.\r\n",
        ),
        subject="Re: Re: thread",
        **{"from": TARO},
        message_id="<mid-22@client.example>",
        in_reply_to=["<p2@example.jp>"],
        references=["<p0@example.jp>", "<p1@example.jp>", "<p1b@example.jp>", "<p2@example.jp>"],
        text_startswith="Threading test.",
    )
    # 27. Raw UTF-8 headers (RFC 6532) with a comma inside a quoted display name.
    fixture(
        "raw_utf8_headers",
        message(
            [
                ("From", '"山田, 太郎" <TARO@client.example>'.encode()),
                (
                    "To",
                    "佐藤花子 <hanako@example.jp>, "
                    "=?UTF-8?Q?Suzuki,_Jiro?= <jiro@example.jp>".encode(),
                ),
                ("Subject", "日本語の件名".encode()),
                ("Date", b"Fri, 20 Nov 2026 10:00:00 -0000"),
                ("Message-ID", b"<raw-utf8@client.example>"),
                ("Content-Type", b"text/plain; charset=utf-8"),
            ],
            "本文です。\r\n".encode(),
        ),
        subject="日本語の件名",
        **{"from": {"name": "山田, 太郎", "address": "taro@client.example"}},
        to=[
            {"name": "佐藤花子", "address": "hanako@example.jp"},
            {"name": "Suzuki, Jiro", "address": "jiro@example.jp"},
        ],
        text_startswith="本文です。",
    )


def _mime_fixtures() -> None:
    """MIME structure: calendar-only, TNEF, broken boundaries, attached originals."""
    # 23. A calendar invitation only: no text to match.
    fixture(
        "calendar_only",
        message(
            [
                *base_headers(b"Invitation: Review"),
                ("Content-Type", b"text/calendar; method=REQUEST; charset=UTF-8"),
            ],
            b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
        ),
        subject="Invitation: Review",
        **{"from": TARO},
        content_type="text/calendar",
        text="",
        text_startswith="",
    )
    # 24. Outlook TNEF: text/plain beside winmail.dat; the attachment is never read.
    fixture(
        "winmail_dat",
        message(
            [
                *base_headers(b"Spec attached"),
                ("Content-Type", b'multipart/mixed; boundary="tnef"'),
            ],
            b"--tnef\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee the spec.\r\n"
            b'--tnef\r\nContent-Type: application/ms-tnef; name="winmail.dat"\r\n'
            b"Content-Transfer-Encoding: base64\r\n"
            b'Content-Disposition: attachment; filename="winmail.dat"\r\n\r\n'
            + base64.encodebytes(b"\x78\x9f\x3e\x22" + bytes(range(256))).replace(b"\n", CRLF)
            + b"--tnef--\r\n",
        ),
        subject="Spec attached",
        **{"from": TARO},
        content_type="multipart/mixed",
        text="See the spec.",
        text_startswith="See the spec.",
    )
    # 28. Broken MIME: the closing boundary never comes and the first part has no headers.
    fixture(
        "broken_mime_no_closing_boundary",
        message(
            [*base_headers(b"Broken"), ("Content-Type", b'multipart/mixed; boundary="zz"')],
            b"preamble\r\n--zz\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + "壊れたMIMEでも読めます。\r\n".encode(),
        ),
        subject="Broken",
        **{"from": TARO},
        content_type="multipart/mixed",
        text_startswith="壊れたMIMEでも読めます。",
    )
    # 29. A forward with the original attached as message/rfc822: only the outer text counts.
    inner = message(base_headers(b"Inner"), "内側の本文（障害）\r\n".encode())
    fixture(
        "forwarded_rfc822",
        message(
            [*base_headers(b"Fwd: Inner"), ("Content-Type", b'multipart/mixed; boundary="fw"')],
            b"--fw\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + "転送します。\r\n".encode()
            + b"--fw\r\nContent-Type: message/rfc822\r\n\r\n"
            + inner
            + b"\r\n--fw--\r\n",
        ),
        subject="Fwd: Inner",
        **{"from": TARO},
        content_type="multipart/mixed",
        text="転送します。",
        text_startswith="転送します。",
    )


def build() -> None:
    _charset_fixtures()
    _reply_fixtures()
    _header_fixtures()
    _mime_fixtures()


def main() -> None:
    build()
    for name, (raw, expected) in sorted(FIXTURES.items()):
        (HERE / f"{name}.eml").write_bytes(raw)
        text = json.dumps(expected, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        (HERE / f"{name}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
