"""What mail clients allow, checked on the digest's markup without a browser.

Gmail (app and web), Outlook (mobile and desktop) and Apple Mail strip or ignore much of
CSS: the layout must be tables with inline styles, the one <style> block may only change
colours (dark mode), nothing may load from outside, and no fixed width may exceed a small
phone. The text part must say everything the HTML says, and the subject line must say the
most urgent thing first.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from inboxguard.digest.content import (
    DigestContent,
    HealthLine,
    IncidentLine,
    ThreadLine,
    spoken_duration,
)
from inboxguard.digest.render import LEAD_SUBJECT_COLUMNS, PAGE, TONES, render, title
from tests.digest.realistic import (
    LONG_SUBJECT,
    LONG_THREAD_ID,
    Rendered,
    contrast,
    realistic_digest,
    thread_blocks,
)

NOW = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
SMALLEST_PHONE = 320
# What the <style> block may set: colours, nothing that moves a box.
COLOUR_PROPERTIES = {"color", "background-color", "border-color"}
LAYOUT_WORDS = re.compile(r"\b(display\s*:\s*(flex|grid)|position\s*:|float\s*:)", re.I)


@pytest.fixture(scope="module", params=["ja", "en"])
def digest(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    language: str = request.param
    return realistic_digest(tmp_path_factory.mktemp(f"mail-{language}"), language)


class Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def parsed(html: str) -> Markup:
    # Outlook's conditional comments hold its fixed-width ghost table: not seen elsewhere.
    markup = Markup()
    markup.feed(html)
    return markup


def test_nothing_loads_from_outside_and_nothing_runs(digest: Rendered) -> None:
    markup = parsed(digest.html)
    tags = {tag for tag, _ in markup.elements}
    assert not tags & {"link", "script", "img", "iframe", "object", "form", "div"}
    assert all("src" not in a and "href" not in a for _, a in markup.elements)
    assert "@import" not in digest.html and "url(" not in digest.html


def test_the_style_block_only_changes_colours(digest: Rendered) -> None:
    (style,) = parsed(digest.html).styles
    declarations = re.findall(r"([a-z-]+)\s*:\s*[^;{}]+;", style)
    assert declarations
    properties = set(declarations) - {"color-scheme", "supported-color-schemes"}
    assert properties <= COLOUR_PROPERTIES
    assert "prefers-color-scheme: dark" in style


def test_structure_is_tables_with_inline_styles(digest: Rendered) -> None:
    markup = parsed(digest.html)
    tables = [a for tag, a in markup.elements if tag == "table"]
    cells = [a for tag, a in markup.elements if tag == "td"]
    assert len(tables) > 10 and len(cells) > 50
    assert all(a.get("role") == "presentation" for a in tables)
    assert all(a.get("style") for a in cells), [a for a in cells if not a.get("style")]
    # Every text line and bar sits in a cell that says how it looks, without the style block.
    for tag, attributes in markup.elements:
        assert not LAYOUT_WORDS.search(attributes.get("style", "")), (tag, attributes)


def test_no_fixed_width_is_wider_than_a_small_phone(digest: Rendered) -> None:
    outside_outlook = re.sub(r"<!--\[if mso\]>.*?<!\[endif\]-->", "", digest.html, flags=re.S)
    widths = [int(w) for w in re.findall(r'\bwidth="(\d+)"', outside_outlook)]
    widths += [int(w) for w in re.findall(r"(?<![-\w])width:\s*(\d+)px", outside_outlook)]
    assert widths and max(widths) <= SMALLEST_PHONE / 4
    assert "max-width:640px" in outside_outlook
    assert 'width="640"' in digest.html  # Outlook's Word engine ignores max-width


def test_long_values_may_wrap_anywhere(digest: Rendered) -> None:
    wrapped = re.compile(r"overflow-wrap:anywhere;word-wrap:break-word;word-break:break-word;")
    blocks = [a for tag, a in parsed(digest.html).elements if "ig-tint-" in a.get("class", "")]
    assert blocks and all(wrapped.search(a["style"]) for a in blocks)
    assert LONG_THREAD_ID in digest.html


def test_colour_scheme_is_declared_for_light_and_dark(digest: Rendered) -> None:
    metas = {
        a.get("name"): a.get("content") for tag, a in parsed(digest.html).elements if tag == "meta"
    }
    assert metas["color-scheme"] == "light dark"
    assert metas["supported-color-schemes"] == "light dark"
    assert metas["viewport"] == "width=device-width, initial-scale=1"


@pytest.mark.parametrize("name", sorted(TONES))
def test_every_tone_reads_on_its_backgrounds_light_and_dark(name: str) -> None:
    tone = TONES[name]
    light, dark = PAGE["background"]
    assert min(contrast(tone.fg, light), contrast(tone.fg, tone.tint)) >= 4.5
    assert min(contrast(tone.dark_fg, dark), contrast(tone.dark_fg, tone.dark_tint)) >= 4.5
    for text in (PAGE["text"], PAGE["muted"]):
        assert contrast(text[0], tone.tint) >= 4.5 and contrast(text[1], tone.dark_tint) >= 4.5


def test_the_text_part_says_everything_the_html_does(digest: Rendered) -> None:
    text, content = digest.text, digest.content
    blocks = re.findall(r"^\* (.+)$", text, flags=re.M)
    heads = thread_blocks(content)
    assert [b.split(" (")[0] for b in blocks[: len(heads) + 1]][1:] == heads  # after health
    for line in (*content.overdue, *content.due_soon, *content.promises, *content.no_reply):
        assert line.subject in text and line.who in text and line.thread_id in text
        assert not line.when or line.when in text
    for incident in content.incidents:
        assert incident.stage in text and incident.due in text and incident.opened in text
    assert content.failing_long[0].error in text
    for row in (*content.stats, *content.per_client):
        assert f"* {row.label}: " in text and row.median in text and row.p90 in text
    assert all(f"* {bar.label}: " in text for bar in content.bars)
    assert "&lt;" not in text and "&amp;" not in text  # plain text is not escaped


# --- the subject line ----------------------------------------------------------------------


def _line(subject: str, hours: float) -> ThreadLine:
    due = NOW + timedelta(hours=hours)
    left = f"{abs(hours):g}h {'late' if hours < 0 else 'left'}"
    return ThreadLine("work", "t1", subject, "who", "when", left, late=hours < 0, due_at=due)


def _content(language: str = "en", **sections: object) -> DigestContent:
    return DigestContent(language=language, day=date(2026, 11, 21), date_label="Sat, Nov 21",
                         **sections)  # type: ignore[arg-type]  # fmt: skip


def test_the_subject_line_leads_with_the_most_late_thread() -> None:
    content = _content(
        overdue=[_line("Late a bit", -1), _line("Very late", -6)],
        due_soon=[_line("Soon", 2)],
    )
    subject = title(content)
    assert subject.startswith('6h late: "Very late" / 2 overdue, 1 due within 24h')
    assert subject.endswith("| InboxGuard Sat, Nov 21")


def test_an_incident_report_due_first_leads_the_subject_line() -> None:
    incident = IncidentLine("Site down", "who", "first report", "due", "40 min left", False,
                            "opened", due_at=NOW + timedelta(minutes=40))  # fmt: skip
    content = _content(due_soon=[_line("Soon", 2)], incidents=[incident])
    assert title(content).startswith('first report 40 min left: "Site down" / ')


def test_a_mailbox_not_read_leads_before_any_thread() -> None:
    health = HealthLine("work", "since", "3時間10分", "refused", "")
    content = _content("ja", failing_long=[health], overdue=[_line("遅延", -6)])
    assert title(content).startswith("work を3時間10分読めていません／アカウント異常 1・期限切れ 1")


def test_a_long_subject_is_shortened_in_the_subject_line() -> None:
    content = _content("ja", overdue=[_line(LONG_SUBJECT, -2)])
    subject = title(content)
    lead = subject.split("／")[0]
    assert lead.startswith("2h late「【至急】見積") and lead.endswith("…」")
    assert len(lead) < LEAD_SUBJECT_COLUMNS
    assert subject.endswith("期限切れ 1｜InboxGuard Sat, Nov 21")


def test_a_quiet_day_says_so_first() -> None:
    assert title(_content("ja")) == "対応が必要なものはありません。｜InboxGuard Sat, Nov 21"


def test_the_realistic_subject_line_and_header(digest: Rendered) -> None:
    ja = digest.content.language == "ja"
    # The demo account fails for over 3 hours: that is the most urgent thing.
    expected = "demo を3時間10分読めていません／" if ja else "demo not read for 3 h 10 min / "
    assert digest.subject.startswith(expected)
    assert "\n" not in digest.subject and len(digest.subject) < 160


# --- words ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "ja", "en"),
    [
        (0, "0分", "0 min"),
        (45, "45分", "45 min"),
        (179, "2時間59分", "2 h 59 min"),
        (360, "6時間", "6 h"),
        (27 * 60 + 20, "1日3時間", "1 d 3 h"),
        (9 * 24 * 60, "9日", "9 d"),
    ],
)
def test_durations_read_as_a_person_says_them(minutes: int, ja: str, en: str) -> None:
    assert (spoken_duration(minutes, "ja"), spoken_duration(minutes, "en")) == (ja, en)


def test_a_section_is_one_macro_call(tmp_path: Path) -> None:
    """The seam for later sections: a list of thread lines and one call in the template."""
    shipped = Path(__file__).parents[2] / "templates"
    for name in ("digest.html.j2", "digest.txt.j2"):
        source = (shipped / name).read_text(encoding="utf-8")
        call = (
            '{{ section("Waiting on clients", d.overdue, "blue") }}'
            if name.endswith("html.j2")
            else '{{ section("Waiting on clients", d.overdue) }}'
        )
        # Just before the no-reply section: "{{ section(t.no_reply" ("{{-" in the text one).
        edited, count = re.subn(r"(?=\{\{-? section\(t\.no_reply)", call + "\n", source)
        assert count == 1
        (tmp_path / name).write_text(edited, encoding="utf-8")
    content = _content(overdue=[_line("Chasing the invoice", -3)])
    html, text = render(content, tmp_path)
    assert "Waiting on clients (1)" in html and "Waiting on clients (1)" in text
    body = html.split("<body", 1)[1]  # the <title> leads with it too
    assert body.count("Chasing the invoice") == 2 and text.count("Chasing the invoice") == 2


def test_within_a_section_the_nearest_deadline_comes_first(digest: Rendered) -> None:
    content = digest.content
    assert len(content.overdue) == 2 and len(content.due_soon) == 3
    for lines in (content.overdue, content.due_soon, content.drafts_waiting, content.incidents):
        deadlines = [line.due_at for line in lines]
        assert None not in deadlines and deadlines == sorted(deadlines)  # type: ignore[type-var]
    assert content.overdue[0].left == ("6時間超過" if content.language == "ja" else "6 h late")
