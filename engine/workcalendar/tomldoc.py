"""Reviewed TOML data files whose every problem is reported with the file and line a reviewer must fix."""

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_DECODE_POSITION = re.compile(r"\(at line (\d+), column \d+\)$")


class HolidayDataError(ValueError):
    """A holiday data file that cannot be trusted; names the file and line to fix."""

    def __init__(self, path: Path, line: int, message: str):
        super().__init__(f"{_shown(path)}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


def _shown(path: Path) -> str:
    """The path as an administrator typed it: relative to the working directory when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class TomlDocument:
    path: Path
    data: dict[str, Any]
    lines: dict[tuple[str, str], int]

    def line_of(self, table: str, key: str) -> int:
        """Line where `key` is written inside `[table]` ("" for the top level, "name[i]" for the i-th
        `[[name]]`); line 1 when the key is absent."""
        return self.lines.get((table, key), 1)

    def error(self, table: str, key: str, message: str) -> HolidayDataError:
        return HolidayDataError(self.path, self.line_of(table, key), message)


def read_toml(path: Path) -> TomlDocument:
    """Parse a data file, turning syntax errors (bad dates, repeated keys) into HolidayDataError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HolidayDataError(path, 1, f"cannot be read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _DECODE_POSITION.search(message)
        line = int(found.group(1)) if found else max(1, text.count("\n"))
        raise HolidayDataError(path, line, _DECODE_POSITION.sub("", message).strip()) from None
    return TomlDocument(path, data, _key_lines(text))


def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """Where each simple `key = value` line sits, by table; tomllib itself keeps no positions.

    Each line is parsed on its own with tomllib, so quoting and comments follow TOML exactly; lines that are
    not a complete statement by themselves (continuations of multi-line values) are simply not indexed.
    The i-th `[[name]]` table is indexed as "name[i]".
    """
    lines: dict[tuple[str, str], int] = {}
    arrays: dict[str, int] = {}
    table = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            parsed = tomllib.loads(raw)
        except tomllib.TOMLDecodeError:
            continue
        if stripped.startswith("["):
            table = ".".join(_header_path(parsed))
            if stripped.startswith("[["):
                arrays[table] = arrays.get(table, -1) + 1
                table = f"{table}[{arrays[table]}]"
            continue
        for key in parsed:
            lines.setdefault((table, key), number)
    return lines


def _header_path(parsed: dict[str, Any]) -> list[str]:
    """The dotted name of a lone `[a.b]` or `[[a]]` header, read back from what tomllib made of it."""
    names: list[str] = []
    node: object = parsed
    while isinstance(node, (dict, list)) and node:
        if isinstance(node, list):
            node = node[0]
            continue
        name = next(iter(node))
        names.append(name)
        node = node[name]
    return names
