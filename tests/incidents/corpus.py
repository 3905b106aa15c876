"""The incident corpus (corpus/*.toml) as typed cases, for the tests and the bench.

Each case is a client's mail body as written (greeting, signature, quoted history); its
``text`` is what the parser keeps of it (``extract_new_text``), which is what the cycle
scores. ``part`` is the file: ``tuning`` (the rules were adjusted looking at it),
``heldout`` (written before the rules changed and never used to tune them), ``blind1`` and
``blind2`` (each written by another writer who never saw the detector, scored first, then
tuned on), and ``blind3`` (written alike and never tuned on: the figure for unseen mail).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from inboxguard.parse.newtext import extract_new_text

CORPUS = Path(__file__).with_name("corpus")
PARTS = ("tuning", "heldout", "blind1", "blind2", "blind3")


@dataclass(frozen=True, slots=True)
class CorpusCase:
    part: str
    name: str
    lang: str
    incident: bool
    why: str
    subject: str
    body: str

    @property
    def text(self) -> str:
        return extract_new_text(self.body.strip("\n")).text


def load_corpus(part: str) -> tuple[CorpusCase, ...]:
    data = tomllib.loads((CORPUS / f"{part}.toml").read_text(encoding="utf-8"))
    return tuple(
        CorpusCase(
            part=part,
            name=case["name"],
            lang=case["lang"],
            incident=case["incident"],
            why=case["why"],
            subject=case["subject"],
            body=case["body"],
        )
        for case in data["case"]
    )
