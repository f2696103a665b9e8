"""Holiday data files that contradict themselves are refused with the file and line to fix."""

import shutil
from datetime import date

import pytest

from engine.workcalendar import PROJECT_HOLIDAYS_DIR, HolidayDataError, WorkingCalendar, calendar_for
from engine.workcalendar.solar_terms import qingming
from engine.workcalendar.year_file import read_year_file

GOOD = [
    "year = 2026",
    'notice = "国办发明电〔2025〕7号"',
    "published = 2025-11-04",
    "",
    "[off]",
    '2026-02-15 = "春节"',
    '2026-02-16 = "春节"',
    "",
    "[working]",
    '2026-02-14 = "春节"',
]


def _write(directory, lines, name="2026.toml"):
    path = directory / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _replaced(old: str, new: str) -> list[str]:
    return [new if line == old else line for line in GOOD]


@pytest.mark.parametrize(
    "lines, bad_line, message",
    [
        (
            _replaced('2026-02-14 = "春节"', '2026-02-16 = "春节"'),
            '2026-02-16 = "春节"',
            "2026-02-16 is listed both as a day off and as a working day",
        ),
        (
            _replaced('2026-02-14 = "春节"', '2026-03-02 = "春节"'),
            '2026-03-02 = "春节"',
            "2026-03-02 is a make-up working day but not a Saturday or Sunday",
        ),
        (
            _replaced('2026-02-15 = "春节"', '2025-12-31 = "元旦"'),
            '2025-12-31 = "元旦"',
            "2025-12-31 is outside 2026; every date of this file must be in 2026",
        ),
        (
            _replaced('2026-02-15 = "春节"', '2026-02-30 = "春节"'),
            '2026-02-30 = "春节"',
            "'2026-02-30' is not a valid date (write YYYY-MM-DD)",
        ),
        (
            _replaced('2026-02-15 = "春节"', '2026-2-15 = "春节"'),
            '2026-2-15 = "春节"',
            "'2026-2-15' is not a valid date (write YYYY-MM-DD)",
        ),
        (
            _replaced('2026-02-15 = "春节"', '2026-02-15 = ""'),
            '2026-02-15 = ""',
            '2026-02-15 must name its festival, e.g. 2026-02-15 = "春节"',
        ),
        (
            _replaced("published = 2025-11-04", "published = 2025-11-31"),
            "published = 2025-11-31",
            "Invalid date or datetime",
        ),
        (GOOD + ['2026-02-14 = "春节"'], '2026-02-14 = "春节"', "Cannot overwrite a value"),
        (
            _replaced("published = 2025-11-04", "publisher = 2025-11-04"),
            "publisher = 2025-11-04",
            "unknown field 'publisher' (expected: notice, off, published, working, year)",
        ),
        (
            _replaced("published = 2025-11-04", 'published = "2025-11-04"'),
            'published = "2025-11-04"',
            "published must be a date, not '2025-11-04'",
        ),
    ],
)
def test_contradictions_name_file_and_line(tmp_path, lines, bad_line, message):
    path = _write(tmp_path, lines)
    with pytest.raises(HolidayDataError) as refused:
        read_year_file(path)
    line = len(lines) - lines[::-1].index(bad_line)  # the last occurrence is the offending one
    assert refused.value.line == line
    assert str(refused.value).startswith(f"{path}:{line}: {message}")


def test_the_message_reads_like_the_issue(tmp_path, monkeypatch):
    (tmp_path / "holidays").mkdir()
    _write(tmp_path / "holidays", _replaced('2026-02-14 = "春节"', '2026-02-15 = "春节"'))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(HolidayDataError) as refused:
        read_year_file(tmp_path / "holidays" / "2026.toml")
    assert str(refused.value) == "holidays/2026.toml:10: 2026-02-15 is listed both as a day off and as a working day"


def test_missing_field_is_refused(tmp_path):
    path = _write(tmp_path, [line for line in GOOD if not line.startswith("notice")])
    with pytest.raises(HolidayDataError, match="missing field 'notice'"):
        read_year_file(path)


def _holidays_dir(tmp_path):
    directory = tmp_path / "holidays"
    directory.mkdir()
    shutil.copy(PROJECT_HOLIDAYS_DIR / "statutory.toml", directory)
    return directory


def test_a_file_named_after_another_year_is_refused(tmp_path):
    directory = _holidays_dir(tmp_path)
    _write(directory, GOOD, name="2027.toml")
    with pytest.raises(HolidayDataError) as refused:
        WorkingCalendar.from_directory(directory)
    assert refused.value.line == GOOD.index("year = 2026") + 1
    assert "year = 2026 but the file is named 2027.toml" in str(refused.value)


def test_a_dropped_in_notice_makes_the_year_official(tmp_path):
    directory = _holidays_dir(tmp_path)
    before = calendar_for(directory)
    assert before.is_provisional_year(2026) and before.day(date(2026, 2, 14)).reason == "周末"
    _write(directory, GOOD)
    after = calendar_for(directory)
    assert not after.is_provisional_year(2026)
    assert after.day(date(2026, 2, 14)).reason == "调休上班" and after.day(date(2026, 2, 14)).working
    assert after.day(date(2026, 2, 15)).reason == "春节"


def test_statutory_rule_file_errors_name_the_line(tmp_path):
    directory = _holidays_dir(tmp_path)
    rules = (directory / "statutory.toml").read_text(encoding="utf-8").replace('"10-03"]', '"10-32"]', 1)
    (directory / "statutory.toml").write_text(rules, encoding="utf-8")
    bad_line = next(n for n, line in enumerate(rules.splitlines(), 1) if '"10-32"' in line)
    with pytest.raises(HolidayDataError) as refused:
        WorkingCalendar.from_directory(directory)
    assert refused.value.line == bad_line and "'10-32' is not MM-DD" in str(refused.value)


def test_qingming_matches_workalendar_astronomy():
    from workalendar.precomputed_astronomy import solar_term

    for year in range(2000, 2052):  # the years workalendar precomputed with skyfield
        assert qingming(year) == solar_term(year, 15, "Asia/Taipei"), year  # Taipei: UTC+8 like Beijing
