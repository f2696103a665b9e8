"""The calendar's HTTP API and `flask calendar` commands, in the exact forms outside tools rely on."""

import shutil
from datetime import date

import pytest

from engine.workcalendar import PROJECT_HOLIDAYS_DIR, WorkingCalendar


@pytest.fixture(scope="module")
def calendar():
    return WorkingCalendar.from_directory(PROJECT_HOLIDAYS_DIR)


def test_days_lists_each_day_publicly(client, calendar):
    response = client.get("/api/calendar/days?from=2026-09-30&to=2026-10-11")
    assert response.status_code == 200
    body = response.get_json()
    assert [day["date"] for day in body][0::11] == ["2026-09-30", "2026-10-11"]
    for item in body:
        day = calendar.day(date.fromisoformat(item["date"]))
        assert item == {
            "date": day.date.isoformat(),
            "working": day.working,
            "reason": day.reason,
            "provisional": False,
        }
    assert {item["reason"] for item in body} == {"工作日", "国庆节", "调休上班", "周末"}


def test_days_marks_provisional_years(client):
    body = client.get("/api/calendar/days?from=2027-01-01&to=2027-01-01").get_json()
    assert body == [{"date": "2027-01-01", "working": False, "reason": "元旦", "provisional": True}]


def test_due_answers_the_worked_example(client):
    response = client.get("/api/calendar/due?start=2026-09-30&days=20")
    assert response.status_code == 200
    assert response.get_json() == {
        "start": "2026-09-30",
        "days": 20,
        "due_date": "2026-11-03",
        "due_at": "2026-11-04T00:00:00+08:00",
        "provisional": False,
    }
    assert client.get("/api/calendar/due?start=2027-03-01&days=0").get_json()["provisional"] is False
    assert client.get("/api/calendar/due?start=2027-03-01&days=1").get_json()["provisional"] is True


@pytest.mark.parametrize(
    "query, field",
    [
        ("days?from=2026-10-02&to=2026-10-01", "to"),
        ("days?from=2026-13-01&to=2026-12-01", "from"),
        ("days?from=2000-01-01&to=2020-01-01", "to"),
        ("days?to=2026-01-01", "from"),
        ("due?start=2026-09-30&days=-1", "days"),
        ("due?start=2026-09-30&days=100000", "days"),
        ("due?start=2026-09-30&days=two", "days"),
        ("due?start=30/09/2026&days=2", "start"),
        ("due?start=2099-12-01&days=300", "days"),
        ("due?start=1999-12-31&days=1", "start"),
    ],
)
def test_bad_parameters_are_400_with_the_parameter_named(client, query, field):
    response = client.get(f"/api/calendar/{query}")
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert field in errors and all(isinstance(message, str) and message for message in errors[field])


def test_cli_days_prints_tab_separated_lines(app, calendar):
    result = app.test_cli_runner().invoke(args=["calendar", "days", "2026-10-07", "2026-10-10"])
    assert result.exit_code == 0
    expected = [
        f"{d.date}\t{'working' if d.working else 'off'}\t{d.reason}"
        for d in calendar.days(date(2026, 10, 7), date(2026, 10, 10))
    ]
    assert result.output.splitlines() == expected
    assert expected[0].endswith("\toff\t国庆节") and expected[-1].endswith("\tworking\t调休上班")


def test_cli_days_flags_provisional_days(app):
    result = app.test_cli_runner().invoke(args=["calendar", "days", "2027-01-01", "2027-01-01"])
    assert result.output == "2027-01-01\toff\t元旦\tprovisional\n"


def test_cli_due_prints_date_instant_and_provisional(app):
    runner = app.test_cli_runner()
    official = runner.invoke(args=["calendar", "due", "2026-02-13", "5"])
    assert (official.exit_code, official.output) == (0, "2026-02-27\t2026-02-28T00:00:00+08:00\n")
    provisional = runner.invoke(args=["calendar", "due", "2027-09-30", "3"])
    assert provisional.exit_code == 0 and provisional.output.rstrip("\n").split("\t")[-1] == "provisional"


@pytest.mark.parametrize(
    "args, named",
    [
        (["days", "2026-10-02", "2026-10-01"], "TO"),
        (["days", "2026-02-30", "2026-10-01"], "FROM"),
        (["due", "2026-09-30", "-3"], "N"),
        (["due", "tomorrow", "3"], "START"),
    ],
)
def test_cli_refuses_bad_arguments_with_exit_2(app, args, named):
    result = app.test_cli_runner().invoke(args=["calendar", *args])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{named}: ") and result.stdout == ""


@pytest.fixture
def holidays_dir(app, tmp_path, monkeypatch):
    directory = tmp_path / "holidays"
    directory.mkdir()
    shutil.copy(PROJECT_HOLIDAYS_DIR / "statutory.toml", directory)
    monkeypatch.setitem(app.config, "HOLIDAYS_DIR", str(directory))
    return directory


def test_cli_load_installs_a_checked_notice(app, holidays_dir, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["calendar", "due", "2026-02-13", "5"]).output.rstrip().endswith("provisional")
    source = tmp_path / "notice-2026.toml"
    shutil.copy(PROJECT_HOLIDAYS_DIR / "2026.toml", source)
    result = runner.invoke(args=["calendar", "load", str(source)])
    assert result.exit_code == 0 and "248个工作日" in result.output
    assert (holidays_dir / "2026.toml").read_bytes() == source.read_bytes()
    assert (
        runner.invoke(args=["calendar", "due", "2026-02-13", "5"]).output == "2026-02-27\t2026-02-28T00:00:00+08:00\n"
    )


def test_cli_load_refuses_a_contradictory_file(app, holidays_dir, tmp_path):
    text = (PROJECT_HOLIDAYS_DIR / "2026.toml").read_text(encoding="utf-8")
    text = text.replace('2026-02-14 = "春节"', '2026-02-13 = "春节"')
    bad_line = next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith("2026-02-13"))
    source = tmp_path / "2026.toml"
    source.write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["calendar", "load", str(source)])
    assert result.exit_code == 2
    assert result.stderr == f"{source}:{bad_line}: 2026-02-13 is a make-up working day but not a Saturday or Sunday\n"
    assert not (holidays_dir / "2026.toml").exists()
