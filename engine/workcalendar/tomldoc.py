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
    too_deep = _too_deep(text)
    if too_deep is not None:
        raise HolidayDataError(path, too_deep, f"数组或内联表嵌套超过 {MAX_NESTING} 层，放假安排文件用不到这样的结构")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _DECODE_POSITION.search(message)
        line = int(found.group(1)) if found else max(1, text.count("\n"))
        raise HolidayDataError(path, line, _DECODE_POSITION.sub("", message).strip()) from None
    return TomlDocument(path, data, _key_lines(text))


MAX_NESTING = 16
"""Arrays and inline tables inside one another at most this deep; tomllib parses nesting by recursion, so a file
nested thousands deep would exhaust the stack instead of being refused with its line."""
_STRING_QUOTES = ('"""', "'''", '"', "'")


def _too_deep(text: str) -> int | None:
    """The line where brackets and braces (outside strings and comments) first nest past `MAX_NESTING`, or None.

    Only counts: a malformed file is left to tomllib, which names its line."""
    depth, line, i, end = 0, 1, 0, len(text)
    while i < end:
        char = text[i]
        if char == "\n":
            line += 1
        elif char == "#":
            newline = text.find("\n", i)
            i = end if newline < 0 else newline
            continue
        elif char in "\"'":
            after = _after_string(text, i)
            line += text.count("\n", i, after)
            i = after
            continue
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return line
        elif char in "]}":
            depth = max(depth - 1, 0)
        i += 1
    return None


def _after_string(text: str, start: int) -> int:
    """Where the string opening at `start` ends: after its closing quote, or at the end of its line when a
    one-line string is not closed there (tomllib names that line)."""
    quote = next(q for q in _STRING_QUOTES if text.startswith(q, start))
    basic = quote[0] == '"'
    i = start + len(quote)
    while i < len(text):
        if text.startswith(quote, i):
            return i + len(quote)
        if text[i] == "\n" and len(quote) == 1:
            return i
        i += 2 if basic and text[i] == "\\" else 1
    return i


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
