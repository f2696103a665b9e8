"""`flask processes survey DIR [--convert] [--region NAME]`: what a folder of diagrams would become, file by file
with the first reason of each refusal by file and line, and the totals; nothing of it is stored."""

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.commands.processes import processes
from engine.core.models import ProcessDefinition
from server.extensions import db

pytestmark = pytest.mark.usefixtures("fresh")
MIWG = Path("/work/shared/bpmn-conformance/miwg-reference")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn"


def run(app, *args):
    return app.test_cli_runner().invoke(processes, ["survey", *map(str, args)])


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ProcessDefinition.id)))


def test_the_miwg_folder_is_surveyed_file_by_file_and_nothing_is_stored(app):
    before = stored(app)
    result = run(app, MIWG, "--convert")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 22
    for path, line in zip(sorted(MIWG.glob("*.bpmn")), lines):
        assert re.fullmatch(rf"{re.escape(str(path))}:\d+ \[[^\]]+\]: 拒绝：.*[\u4e00-\u9fff].*", line), line
    assert (
        lines[-1]
        == "共 21 个文件：直接可部署 0，转换后可部署 0，对照候选组后可部署 0，拒绝 21；启动后到达首个人工任务 0"
    )
    assert stored(app) == before


def test_what_deploys_is_started_up_to_its_first_person(app, tmp_path):
    shutil.copy(FIXTURES / "valid_review.bpmn", tmp_path / "a_valid.bpmn")
    (tmp_path / "b_modeler_default.bpmn").write_bytes(
        (FIXTURES / "valid_review.bpmn")
        .read_bytes()
        .replace(b'isExecutable="true"', b'isExecutable="false"')
        .replace(b"reimbursement_review", b"review_default")
    )
    nested = tmp_path / "from_camunda" / "c_camunda.bpmn20.xml"
    nested.parent.mkdir()
    shutil.copy(FIXTURES / "camunda_review.bpmn", nested)
    (tmp_path / "d_broken.bpmn").write_bytes(b'<?xml version="1.0"?>\n<bpmn:definitions>\n')
    before = stored(app)

    plain = run(app, tmp_path, "--region", "丰城市")
    assert plain.exit_code == 0, plain.output
    lines = plain.output.strip().splitlines()
    assert (
        lines[0]
        == f"{tmp_path / 'a_valid.bpmn'}: 可直接部署；到达首个人工任务“初审材料”（乡镇(街道)医保专窗经办员，曲江镇）"
    )
    assert lines[1].startswith(f"{tmp_path / 'b_modeler_default.bpmn'}: 可直接部署；到达首个人工任务")
    assert '（提示：流程“零星报销审核”标为不可执行（isExecutable="false"' in lines[1]
    assert lines[2].startswith(f"{tmp_path / 'd_broken.bpmn'}:2: 拒绝：XML 格式错误")
    assert lines[3].startswith(f"{nested}:") and "拒绝：" in lines[3]
    assert (
        lines[-1] == "共 4 个文件：直接可部署 2，转换后可部署 0，对照候选组后可部署 0，拒绝 2；启动后到达首个人工任务 2"
    )

    converted = run(app, tmp_path, "--convert")
    assert f"{nested}: 转换后可部署；到达首个人工任务“初审”" in converted.output
    assert (
        converted.output.strip()
        .splitlines()[-1]
        .startswith("共 4 个文件：直接可部署 2，转换后可部署 1，对照候选组后可部署 0，拒绝 1")
    )
    assert stored(app) == before


def test_groups_no_table_maps_are_given_the_named_role_and_counted_apart(app, tmp_path):
    """人事处 is in no table (丰城市 has no entry of it in this test): refused after conversion, deployed once
    --map-groups gives it a role, as a designer does on the upload page."""
    shutil.copy(FIXTURES / "vendor" / "leave_activiti.bpmn", tmp_path / "leave.bpmn20.xml")
    converted = run(app, tmp_path, "--convert", "--region", "丰城市")
    assert "拒绝：" in converted.output and "人事审批" in converted.output
    mapped = run(app, tmp_path, "--region", "丰城市", "--map-groups", "centre_reviewer")
    assert mapped.exit_code == 0, mapped.output
    line, total = mapped.output.strip().splitlines()
    assert line.startswith(f"{tmp_path / 'leave.bpmn20.xml'}: 转换并对照候选组后可部署；到达首个人工任务“部门领导审批”")
    assert total == "共 1 个文件：直接可部署 0，转换后可部署 0，对照候选组后可部署 1，拒绝 0；启动后到达首个人工任务 1"
    unknown = run(app, tmp_path, "--map-groups", "nobody")
    assert unknown.exit_code == 2 and "没有角色“nobody”" in unknown.output and "--map-groups" in unknown.output


def test_an_unknown_region_is_refused_by_name(app, tmp_path):
    result = run(app, tmp_path, "--region", "没有的市")
    assert result.exit_code == 2 and "没有名为“没有的市”的单位" in result.output
