"""Administrators' pages through the test client: the running-instances list and its filters."""

from engine.core.clock import clock
from tests.factories import applicant, mandate, reimbursement_details
from tests.web_login import page_login

MATERIALS = [
    "医保电子凭证或有效身份证件或社保卡（查看）",
    "费用发票原件",
    "费用清单原件（加盖医院公章）",
    "慢性病证复印件",
]


def start_case(as_user, org="360981104201", agent="qujiangcun.village_agent", **applicant_fields) -> dict:
    response = as_user(agent).post(
        "/api/instances",
        json={
            "item": "fc-v-08",
            "org": org,
            "applicant": applicant(**applicant_fields),
            "materials": MATERIALS,
            "proxy": True,
            "mandate": mandate(),
            "details": reimbursement_details(),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_admins_land_on_the_instances_list_with_its_menu(fresh):
    client, response = page_login(fresh, "fengcheng.admin")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/instances"
    page = client.get("/admin/instances").get_data(as_text=True)
    assert 'href="/admin/instances"' in page and "办件监控" in page
    assert 'href="/inbox"' not in page


def test_instances_filter_by_unit_and_status_and_link_to_the_instance_page(fresh, as_user):
    qujiang = start_case(as_user)
    xiaogang = start_case(as_user, org="360981106201", agent="xiaogangcun.village_agent")
    client, _ = page_login(fresh, "fengcheng.admin")

    everything = client.get("/admin/instances").get_data(as_text=True)
    assert qujiang["case_no"] in everything and xiaogang["case_no"] in everything

    by_unit = client.get("/admin/instances?org=360981104").get_data(as_text=True)
    assert qujiang["case_no"] in by_unit and xiaogang["case_no"] not in by_unit
    assert f'href="/admin/instances/{qujiang["id"]}"' in by_unit

    concluded = client.get("/admin/instances?status=concluded").get_data(as_text=True)
    assert qujiang["case_no"] not in concluded and "没有符合条件的办件" in concluded


def test_instances_overdue_filter_follows_the_engine_clock(fresh, as_user):
    case = start_case(as_user)
    client, _ = page_login(fresh, "fengcheng.admin")
    assert case["case_no"] not in client.get("/admin/instances?overdue=1").get_data(as_text=True)
    clock.freeze(clock.now().replace(year=clock.now().year + 1))
    late = client.get("/admin/instances?overdue=1").get_data(as_text=True)
    assert case["case_no"] in late and "已超期" in late
    assert "超期最久的在前" in late and "超期最久的在前" not in client.get("/admin/instances").get_data(as_text=True)


def test_bad_filters_are_named_beside_their_fields(fresh):
    client, _ = page_login(fresh, "fengcheng.admin")
    response = client.get("/admin/instances?from=2026-13-01&status=lost&org=nowhere")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-field="from">日期格式应为 YYYY-MM-DD' in page
    assert 'data-field="status">未知办件状态' in page


def test_unknown_unit_is_a_field_error(fresh):
    client, _ = page_login(fresh, "fengcheng.admin")
    response = client.get("/admin/instances?org=nowhere")
    assert response.status_code == 400
    assert 'data-field="org">未知单位编码：nowhere' in response.get_data(as_text=True)


def test_sla_dashboard_shows_the_engine_figures_with_their_charts(fresh, as_user):
    start_case(as_user)
    client, _ = page_login(fresh, "fengcheng.admin")
    page = client.get("/admin/sla").get_data(as_text=True)
    assert "丰城市（含下级单位）" in page
    for chart in ("units", "items", "overdue", "stages", "ratings"):
        assert f'data-chart="{chart}"' in page
    assert '<b data-figure="overdue">0</b>' in page and "曲江镇" in page
    clock.freeze(clock.now().replace(year=clock.now().year + 1))
    late = client.get("/admin/sla").get_data(as_text=True)
    assert '<b data-figure="overdue">1</b>' in late and "乡镇初审" in late


def test_sla_dashboard_refuses_clerks_and_names_bad_fields(fresh):
    clerk, _ = page_login(fresh, "qujiang.township_clerk")
    assert clerk.get("/admin/sla").status_code == 403
    admin, _ = page_login(fresh, "fengcheng.admin")
    response = admin.get("/admin/sla?from=2026-10-09&to=2026-10-01")
    assert response.status_code == 400
    assert 'data-field="to">结束日期不能早于开始日期' in response.get_data(as_text=True)
    unknown = admin.get("/admin/sla?org=nowhere")
    assert unknown.status_code == 400 and 'data-field="org">未知单位编码：nowhere' in unknown.get_data(as_text=True)
