"""The 福州 手工报销 and 协议管理 diagrams on the administrator's case view at a desk: drawn by bpmn-js with the case's
path marked (a paid claim back at the point for 出件; an agreement waiting out its 公示), screenshots to look at."""

import pytest

from tests.api.test_designated_agreement import AGREED, APPLICATION, EXPERTS, REVIEWER, SITE, WINDOW
from tests.api.test_manual_reimbursement import APPROVED, CLERK, MAILED, POINT_REVIEW, ROUTED, accepted_claim
from tests.browser.conftest import SCREENSHOTS
from tests.factories import applicant
from tests.scenarios import collect, sweep_at, work

pytestmark = pytest.mark.browser

PAYOUT = {
    "amount": "180.00",
    "payee_name": "张三",
    "bank_name": "中国农业银行福州分行",
    "account_no": "6228480012345678901",
    "paid_on": "2026-11-20",
}


def case_view(login, admin: str, case_id: int):
    page = login(admin)
    page.goto(f"/admin/instances/{case_id}")
    page.wait_for_selector("#diagram[data-ready=true]")
    return page


def marked(page, marker: str) -> set[str]:
    ids = page.locator(f"#diagram .djs-element.{marker}").evaluate_all("els => els.map(e => e.dataset.elementId)")
    return set(ids)


def test_a_paid_manual_claim_is_drawn_back_at_the_point_for_collection(as_user, login, screenshot):
    case = accepted_claim(as_user)
    work(as_user(CLERK), "服务点审核上传", POINT_REVIEW)
    work(as_user("gl-centre.centre_reviewer"), "属地管理部审核", ROUTED)
    work(as_user("fz-centre.centre_reviewer"), "相应管理部审核", APPROVED)
    work(as_user(CLERK), "邮寄受理材料", MAILED)
    work(as_user("fz-centre.archivist"), "接收归档", {"archive_no": "FZ-SG-2026-0042", "location": "二号柜"})
    work(as_user("fz-centre.centre_payer"), "拨付", PAYOUT)

    page = case_view(login, "fuzhou.admin", case["id"])
    done = marked(page, "done")
    assert {"point_review", "local_review", "centre_review", "mail_materials", "archive", "pay_out"} <= done
    assert marked(page, "active") == {"collect"}, "paid, the case waits at the point's 出件"
    assert page.locator("#diagram .djs-element[data-element-id=Flow_5]").count() == 1
    assert not {"Flow_5", "Flow_8", "Flow_11", "concluded"} & done, "no rejection taken, not yet concluded"
    screenshot(page, "manual_reimbursement_diagram")
    page.locator("#diagram").screenshot(path=str(SCREENSHOTS / "manual_reimbursement_diagram_close.png"))

    collect(as_user(CLERK))
    page.reload()
    page.wait_for_selector("#diagram[data-ready=true]")
    assert {"collect", "concluded"} <= marked(page, "done")


def test_an_agreement_in_publicity_is_drawn_with_its_objection_path_apart(app, as_user, login, screenshot):
    sweep_at(app, "2026-11-02T09:00:00")
    started = as_user(WINDOW).post(
        "/api/instances",
        json={
            "item": "yz-34",
            "org": "431103-YB",
            "applicant": applicant("刘院长"),
            "materials": [],
            "details": APPLICATION,
        },
    )
    case = started.get_json()
    reviewer = as_user(REVIEWER)
    work(reviewer, "材料初审", {"decision": "approve", "opinion": "申请材料齐全"})
    work(reviewer, "现场评估", SITE)
    for expert, score in zip(EXPERTS, (86, 78, 91), strict=True):  # a panel: each expert takes one of its tasks
        caller = as_user(expert)
        task = caller.get("/api/tasks?view=candidate").get_json()["items"][0]
        assert caller.post(f"/api/tasks/{task['id']}/claim").status_code == 200
        scored = {"score": score, "recommendation": "agree", "opinion": "符合定点条件"}
        assert caller.post(f"/api/tasks/{task['id']}/complete", json={"data": scored}).status_code == 200
    work(reviewer, "协商谈判", AGREED)

    page = case_view(login, "yongzhou.admin", case["id"])
    assert {"first_review", "site_assessment", "expert_review", "negotiation"} <= marked(page, "done")
    assert marked(page, "active") == {"publicity"}, "公示 waits for its period or an objection"
    for label in ("收到异议", "公示期满", "无异议", "不成立，重新公示"):
        assert page.locator("#diagram .djs-label", has_text=label).count() == 1, label
    screenshot(page, "designated_agreement_diagram")
    page.locator("#diagram").screenshot(path=str(SCREENSHOTS / "designated_agreement_diagram_close.png"))
