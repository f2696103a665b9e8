"""`flask catalog import`: an administrator's table joins the catalogue whole or not at all."""

import pytest
from sqlalchemy import delete

from engine.catalogue import imported_lists
from engine.catalogue.flows import catalog
from engine.catalogue.imported_lists import CatalogImport, CatalogImportItem
from engine.catalogue.tsv import parse_tsv
from engine.core.clock import clock
from server.extensions import db
from tests.factories import applicant, reimbursement_details

HEADER = "地区\t清单\t序号\t事项名称\t事项分类\t办理层级\t办理时限\t办理流程\t办理材料"
CONSULTATION = (
    "丰城市\tfc-extra\t1\t医保政策咨询（新增）\t政策咨询\t乡镇（街道）、村（社区）\t即时办结\t申请-受理-办结\t"
)
REIMBURSEMENT = (
    "丰城市\tfc-extra\t2\t特殊药品费用报销\t待遇报销\t乡镇（街道）\t不超过30个工作日\t"
    "township_review_pay\t1.有效身份证件 2.费用发票原件 3.处方或病历 4.诊断证明 第3、4项具备一项即可"
)


@pytest.fixture
def imports(fresh):
    """Imported lists are removed again, so other tests see only the reviewed catalogue."""
    yield fresh
    with fresh.app_context():
        db.session.execute(delete(CatalogImportItem))
        db.session.execute(delete(CatalogImport))
        db.session.commit()
    imported_lists.forget_revision()  # deleted behind the store's back: do not wait for the next look


def table(tmp_path, *rows, name="extra.tsv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def run_import(app, path):
    return app.test_cli_runner().invoke(args=["catalog", "import", str(path), "--by", "fengcheng.admin"])


def test_imported_items_are_served_at_once_by_the_api_and_the_list_command(imports, tmp_path, as_user):
    clerk = as_user("qujiang.township_clerk")
    assert clerk.get("/api/catalog/items/fc-extra-02").status_code == 404

    result = run_import(imports, table(tmp_path, CONSULTATION, REIMBURSEMENT))
    assert result.exit_code == 0, result.output
    assert "导入 2 个事项" in result.output and "fc-extra" in result.output

    detail = clerk.get("/api/catalog/items/fc-extra-02").get_json()
    assert detail["name"] == "特殊药品费用报销"
    assert (detail["limit_days"], detail["pattern"], detail["stage"]) == (30, "township_review_pay", "收件受理")
    assert detail["inferred"] == ["stage"]
    assert detail["source"] == {"file": "extra.tsv", "annex": None, "row": 2, "section": None}
    assert [(m["name"], m["required"], m["one_of"]) for m in detail["materials"]] == [
        ("有效身份证件", True, None),
        ("费用发票原件", True, None),
        ("处方或病历", False, "第3、4项"),
        ("诊断证明", False, "第3、4项"),
    ]
    village_items = [i["id"] for i in clerk.get("/api/catalog/items?org=360981104201").get_json()]
    assert "fc-extra-01" in village_items and "fc-extra-02" not in village_items

    listed = imports.test_cli_runner().invoke(args=["catalog", "list", "--region", "丰城市"])
    assert listed.exit_code == 0
    assert (
        "fc-extra-01\tfc-extra\t乡镇（街道）、村（社区）\t即时办结\t医保政策咨询（新增）" in listed.output.splitlines()
    )


def test_a_case_runs_on_an_imported_item(imports, tmp_path, as_user):
    assert run_import(imports, table(tmp_path, REIMBURSEMENT)).exit_code == 0
    started = as_user("qujiang.township_clerk").post(
        "/api/instances",
        json={
            "item": "fc-extra-02",
            "org": "360981104",
            "applicant": applicant(),
            "materials": ["有效身份证件", "费用发票原件", "诊断证明"],
            "details": reimbursement_details(),
        },
    )
    assert started.status_code == 201, started.get_json()
    assert started.get_json()["item"] == "特殊药品费用报销"


def test_a_table_with_bad_rows_imports_nothing_and_names_every_bad_row(imports, tmp_path):
    path = table(
        tmp_path,
        CONSULTATION,
        "丰城市\tfc-extra\t2\t乱填事项\t不存在的分类\t火星\t明天\t申请-受理-办结\t",
        "丰城市\tfc-extra\t3\t\t政策咨询\t村（社区）\t即时办结\t\t",
        name="bad.tsv",
    )
    result = run_import(imports, path)
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert any(line.startswith(f"{path}:3: ") and "火星" in line for line in lines)
    assert any(line.startswith(f"{path}:3: ") and "不存在的分类" in line for line in lines)
    assert any(line.startswith(f"{path}:3: ") and "明天" in line for line in lines)
    assert f"{path}:4: “事项名称”不能为空" in lines
    assert not any(f"{path}:2:" in line for line in lines)
    assert lines[-1] == f"{path}: 未导入任何事项"
    assert "fc-extra-01" not in {item.id for item in catalog().items}
    with imports.app_context():
        assert imported_lists.revision() is None


def test_reviewed_lists_cannot_be_overwritten_by_an_import(imports, tmp_path):
    path = table(
        tmp_path,
        CONSULTATION,
        "丰城市\tfengcheng-township\t1\t医保政策宣传和咨询\t政策咨询\t乡镇（街道）\t即时办结\t申请-受理-办结\t",
    )
    result = run_import(imports, path)
    assert result.exit_code == 2
    assert f"{path}:3: 清单编号“fengcheng-township”是已审核的清单，不能通过导入修改" in result.output.splitlines()
    assert "fc-extra-01" not in {item.id for item in catalog().items}


def test_importing_a_list_again_replaces_it_but_keeps_items_with_cases(imports, tmp_path, as_user):
    assert run_import(imports, table(tmp_path, CONSULTATION, REIMBURSEMENT)).exit_code == 0
    renamed = CONSULTATION.replace("医保政策咨询（新增）", "医保政策咨询")
    assert run_import(imports, table(tmp_path, renamed, REIMBURSEMENT)).exit_code == 0
    assert catalog().get("fc-extra-01").name == "医保政策咨询"

    started = as_user("qujiang.township_clerk").post(
        "/api/instances",
        json={
            "item": "fc-extra-02",
            "org": "360981104",
            "applicant": applicant(),
            "materials": ["有效身份证件", "费用发票原件", "诊断证明"],
            "details": reimbursement_details(),
        },
    )
    assert started.status_code == 201, started.get_json()
    path = table(tmp_path, renamed, name="without-02.tsv")
    refused = run_import(imports, path)
    assert refused.exit_code == 2
    assert f"{path}: 事项“特殊药品费用报销”（fc-extra-02）已有办件，新表中不能缺少该事项" in refused.output
    assert catalog().get("fc-extra-02").name == "特殊药品费用报销"


def test_a_missing_file_is_refused_with_its_name(imports, tmp_path):
    result = run_import(imports, tmp_path / "absent.tsv")
    assert result.exit_code == 2
    assert "absent.tsv" in result.output


def test_another_workers_import_shows_here_within_a_second(imports, tmp_path, monkeypatch):
    """Another worker's import reaches the database, not this worker's memory: this worker looks
    again once its reading is a second old."""
    now = [1000.0]
    monkeypatch.setattr(imported_lists.time, "monotonic", lambda: now[0])
    imported_lists.forget_revision()
    assert "fc-extra-01" not in {item.id for item in catalog().items}
    (item,) = parse_tsv(table(tmp_path, CONSULTATION), catalog().vocabulary)
    with imports.app_context():  # the rows the other worker's import wrote
        batch = CatalogImport(file_name="extra.tsv", imported_by="other.worker", imported_at=clock.now(), item_count=1)
        db.session.add(batch)
        db.session.flush()
        db.session.add(
            CatalogImportItem(
                item_id=item.id,
                list_id=item.list_id,
                import_id=batch.id,
                position=0,
                data=imported_lists.item_record(item),
            )
        )
        db.session.commit()
    now[0] += 0.5
    assert "fc-extra-01" not in {item.id for item in catalog().items}
    now[0] += 0.6
    assert "fc-extra-01" in {item.id for item in catalog().items}
