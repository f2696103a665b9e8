"""processes/step_limits.toml is reviewed data: every human step of every shipped diagram finds a limit in it, and
every entry says where its figure comes from."""

from pathlib import Path

from engine.bpmn.external import ProductBpmnParser
from engine.tasks.step_limits import Step, default_of, defaults, flow_steps

BPMN = Path(__file__).resolve().parents[2] / "processes" / "bpmn"


def shipped_flows():
    parser = ProductBpmnParser()
    parser.add_bpmn_files([str(path) for path in sorted(BPMN.rglob("*.bpmn"))])
    shared = {path.stem for path in (BPMN / "shared").glob("*.bpmn")}
    for process_id in parser.get_process_ids():
        if process_id not in shared:
            yield process_id, parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


def test_every_human_step_of_every_shipped_flow_has_a_default_limit():
    missing = []
    for process_id, spec, subprocess_specs in shipped_flows():
        steps = flow_steps(spec, subprocess_specs)
        assert steps, process_id
        missing += [
            f"{process_id}: {step.path}" for step, drawn in steps if default_of(step, None, drawn.process_key) is None
        ]
    assert missing == []


def entries(table):
    for value in table.values():
        if "days" in value:
            yield value
        else:
            yield from entries(value)


def test_every_entry_has_whole_working_days_and_a_source():
    for entry in entries(defaults()):
        assert isinstance(entry["days"], int) and 0 <= entry["days"] <= 60, entry
        assert entry["source"].strip(), entry
        assert set(entry) <= {"days", "source", "inferred", "bounded_by_case"}, entry


def test_yongzhou_limits_are_all_marked_inferred():
    assert all(entry.get("inferred") for entry in entries(defaults()["region"]["永州市"]))


def test_an_instant_step_expires_the_same_day_and_rectification_is_five_then_seven():
    conclude = default_of(Step("instant", "conclude", None, "conclude"), "丰城市")
    assert conclude is not None and conclude.days == 0
    rectify = default_of(Step("rating_rectification", "rectify", None, "rectification"), None)
    visit = default_of(Step("rating_rectification", "follow_up_visit", None, "follow_up_visit"), None)
    assert (rectify.days, visit.days, visit.bounded_by_case) == (5, 7, False)
