"""The labelled incident set (labelled.toml) as typed cases, for the tests and the bench."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

LABELLED = Path(__file__).with_name("labelled.toml")


@dataclass(frozen=True, slots=True)
class LabelledCase:
    name: str
    subject: str
    text: str
    automated: str | None
    incident: bool


def load_cases(path: Path = LABELLED) -> tuple[LabelledCase, ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(
        LabelledCase(
            name=case["name"],
            subject=case["subject"],
            text=case["text"],
            automated=case.get("automated"),
            incident=case["incident"],
        )
        for case in data["case"]
    )
