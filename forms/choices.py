"""The reviewed option lists of choices.toml, read once when forms are built."""

import tomllib
from functools import cache
from importlib.resources import files


@cache
def _choices() -> dict:
    return tomllib.loads(files("forms").joinpath("choices.toml").read_text(encoding="utf-8"))


def options(name: str) -> dict[str, str]:
    """Stored value → label a clerk sees, for the option list called `name`."""
    entry = _choices()[name]
    if isinstance(entry, dict):
        return dict(entry)
    return {value: value for value in entry}


def filing_validity_months() -> dict[str, int | None]:
    """异地就医备案 type → longest validity in months, None when valid until cancelled."""
    return {kind["name"]: kind.get("max_months") for kind in _choices()["remote_care_filing_types"]}
