"""The reviewed SMS texts (engine/data/sms.toml) against the trigger table: every kind a step can send has a
text, a label and no placeholder the outbox does not fill; and a few facts read as the table says."""

import string

import pytest

from engine.sms import texts
from engine.sms.outbox import placeholders
from engine.sms.triggers import CANCELS, RESULT_KINDS, TRIGGERS, Fact, cancelled_by, triggered_by


class Case:
    applicant_name, item_name, case_no, due_at = "张三", "门诊费用报销", "360981-20261102-000001", None

    class org:
        name = "曲江村"


FILLED = placeholders(Case(), {})  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", sorted({t.kind for t in TRIGGERS} | {t.kind for t in CANCELS}))
def test_every_kind_has_a_signed_chinese_text_the_outbox_can_fill_and_a_label(kind):
    assert kind in texts.kinds()
    named = {field for _, field, _, _ in string.Formatter().parse(texts._data()["texts"][kind]) if field}
    assert named <= FILLED.keys(), named - FILLED.keys()
    assert texts.render(kind, FILLED).startswith("【医保经办】")
    assert texts.kind_label(kind) != kind


def test_no_text_is_left_without_a_trigger():
    assert set(texts.kinds()) == {t.kind for t in TRIGGERS}


def kinds_of(fact):
    return [trigger.kind for trigger in triggered_by(fact)]


def test_the_facts_read_as_the_table_says():
    assert kinds_of(Fact("accepted", None, {"missing": []})) == ["accepted"]
    assert kinds_of(Fact("accepted", None, {"missing": ["费用发票原件"]})) == []
    assert kinds_of(Fact("opened", "supplement", {})) == ["missing_materials", "supplement_reminder"]
    assert kinds_of(Fact("completed", "review", {"decision": "reject"})) == ["rejected"]
    assert kinds_of(Fact("completed", "review", {"decision": "approve"})) == []
    assert kinds_of(Fact("completed", "collection", {"method": "邮寄", "tracking_no": "SF1"})) == ["posted"]
    assert kinds_of(Fact("completed", "collection", {"method": "现场领取"})) == []
    assert cancelled_by(Fact("completed", "supplement", {})) == ["supplement_reminder"]
    assert RESULT_KINDS <= set(texts.kinds())


def test_consent_defaults_to_sending_as_reviewed_and_marked_inferred():
    assert texts.consent_default() is True
    assert texts._data()["consent"]["inferred"] is True
