"""The Chinese the modeler speaks: element kinds for its properties panel, the bpmn-js texts it translates, and
the stages a user task's time limit may count under (named as the catalogue's vocabulary names them).

Read from reviewed data (`engine/data/modeler_texts.toml`, `processes/catalog/vocabulary.toml`), so the page
and its script carry no Chinese of their own for these.
"""

import tomllib
from functools import cache
from typing import Any

from engine.catalogue.flows import catalog
from engine.core.reference import DATA_DIR


@cache
def _texts() -> dict[str, Any]:
    return tomllib.loads((DATA_DIR / "modeler_texts.toml").read_text(encoding="utf-8"))


def modeler_texts() -> dict[str, dict[str, str]]:
    """{kinds, events, ui, stages}: element type → 用户任务, event definition → 计时器, bpmn-js text → its Chinese,
    stage id → 乡镇（街道）初审."""
    texts = _texts()
    return {
        "kinds": dict(texts["kinds"]),
        "events": dict(texts["events"]),
        "ui": dict(texts["ui"]),
        "stages": dict(catalog().vocabulary.stage_limits),
    }
