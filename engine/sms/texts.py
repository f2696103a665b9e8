"""The texts of the messages, their labels and the consent default, as reviewed in engine/data/sms.toml."""

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

_DATA = Path(__file__).resolve().parents[1] / "data" / "sms.toml"


@cache
def _data() -> dict[str, Any]:
    return tomllib.loads(_DATA.read_text(encoding="utf-8"))


def kinds() -> tuple[str, ...]:
    return tuple(_data()["texts"])


def render(kind: str, facts: Mapping[str, str]) -> str:
    """The signed text of `kind` with its placeholders filled (`outbox.placeholders` gives every one a text
    may name; the data test renders each text with them)."""
    return str(_data()["signature"]) + str(_data()["texts"][kind]).format_map(facts)


def consent_default() -> bool:
    """Whether an applicant who stated nothing at 受理 receives messages."""
    return bool(_data()["consent"]["default"])


def kind_label(kind: str) -> str:
    return str(_data()["labels"].get(kind, kind))


def state_labels() -> dict[str, str]:
    return dict(_data()["states"])


def schedule(kind: str) -> tuple[int, int] | None:
    """For a message sent ahead of a deadline: (working days before its last day, hour of sending)."""
    entry = _data().get("schedule", {}).get(kind)
    return (int(entry["working_days_before"]), int(entry["hour"])) if entry else None
