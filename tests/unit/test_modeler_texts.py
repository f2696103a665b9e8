"""The modeler's Chinese (engine/data/modeler_texts.toml) against what it translates: every element type the diff
names gets the same name in the panel, and every bpmn-js text translated is one the installed bpmn-js asks for."""

from pathlib import Path

import pytest

from engine.bpmn.diff import TYPE_LABELS
from engine.bpmn.modeler_texts import modeler_texts

BUNDLE = (
    Path(__file__).resolve().parents[2] / "web" / "node_modules" / "bpmn-js" / "dist" / "bpmn-modeler.development.js"
)


def test_the_panel_names_each_element_type_as_the_diff_does():
    kinds = modeler_texts()["kinds"]
    assert {kind: kinds.get(kind) for kind in TYPE_LABELS} == TYPE_LABELS


def test_every_translated_text_is_one_bpmn_js_asks_for():
    if not BUNDLE.exists():
        pytest.skip("bpmn-js is installed by `make` (npm)")
    bundle = BUNDLE.read_text(encoding="utf-8")
    unknown = [text for text in modeler_texts()["ui"] if f"'{text}'" not in bundle]
    assert unknown == []


def test_the_stages_are_the_catalogues():
    stages = modeler_texts()["stages"]
    assert stages["township_review"] == "乡镇（街道）初审" and set(stages) >= {"centre_review", "payout"}
