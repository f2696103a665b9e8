"""`flask processes deploy`: deploy every diagram under processes/bpmn/; `flask processes survey`: what a folder of
diagrams would become, without storing anything."""

import logging
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.bpmn import deployment, survey
from engine.core.errors import Invalid
from engine.core.uow import rehearsal
from engine.org.permissions import SYSTEM
from server.extensions import db


@click.group("processes", help="流程部署")
def processes():
    pass


@processes.command("deploy")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
@with_appcontext
def deploy(directory):
    """Deploy each .bpmn of DIRECTORY (default processes/bpmn/, its shared/ sub-flows first); unchanged files
    create nothing."""
    folder = Path(directory or current_app.config["BPMN_DIR"])
    failed = False
    for path in deployment.diagram_paths(folder):
        try:
            definition, created = deployment.deploy(db.session, SYSTEM, path.read_bytes(), path.name)
        except deployment.InvalidDiagram as exc:
            failed = True
            for problem in exc.problems:
                where = f"{path}:{problem['line']}" if problem.get("line") else str(path)
                element = f" [{problem['element_id']}]" if problem.get("element_id") else ""
                click.echo(f"{where}{element}: {problem['message']}", err=True)
            continue
        state = "新版本" if created else "与库中版本相同"
        click.echo(f"{path.name}: {definition.process_key} 已部署 v{definition.version}（{state}）")
    if failed:
        raise SystemExit(2)


_DEPLOYED = {
    survey.PLAIN: "可直接部署",
    survey.CONVERTED: "转换后可部署",
    survey.MAPPED: "转换并对照候选组后可部署",
}


@processes.command("survey")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--convert", is_flag=True, help="直接部署被拒的流程图先按 Camunda/Flowable/Activiti 转换再试")
@click.option("--region", default=None, help="按此地区部署（单位名称，如 丰城市）；默认国家基础版本")
@click.option(
    "--map-groups",
    default=None,
    metavar="ROLE",
    help="转换后仍有候选组没有对照时，把这些候选组都对照为此角色（角色代码，如 township_clerk）再试，如设计员在上传页所做",
)
@with_appcontext
def survey_folder(directory, convert, region, map_groups):
    """Deploy every .bpmn (and .bpmn20.xml) under DIRECTORY in a transaction that is rolled back, and print for
    each whether it deploys as is, after conversion or not (its first reason, by file and line), and whether a case
    started on it reaches its first person; then the totals. Nothing is stored."""
    paths = survey.diagram_files(Path(directory))
    logging.getLogger("yibao.deploy").setLevel(logging.WARNING)  # its "deployed" lines would tell of no real version
    with rehearsal(db.engine.url) as session:
        try:
            findings = survey.survey(session, paths, convert=convert, region=region, map_groups=map_groups)
        except Invalid as refused:
            option = "--map-groups" if "map_groups" in refused.errors else "--region"
            raise click.BadParameter(next(iter(refused.errors.values()))[0], param_hint=option) from None
    for finding in findings:
        click.echo(_line(finding))
    counted = survey.totals(findings)
    click.echo(
        f"共 {counted.files} 个文件：直接可部署 {counted.plain}，转换后可部署 {counted.converted}，"
        f"对照候选组后可部署 {counted.mapped}，拒绝 {counted.refused}；启动后到达首个人工任务 {counted.reached}"
    )


def _line(finding: survey.Finding) -> str:
    if finding.refusal is not None and finding.deployed is None:
        refusal = finding.refusal
        where = f"{finding.path}:{refusal.line}" if refusal.line else str(finding.path)
        element = f" [{refusal.element_id}]" if refusal.element_id else ""
        more = f"（另有 {refusal.more} 处问题）" if refusal.more else ""
        return f"{where}{element}: 拒绝：{refusal.message}{more}"
    started = f"；{finding.started.message}" if finding.started is not None else ""
    notes = "".join(f"（提示：{note}）" for note in finding.notes)
    return f"{finding.path}: {_DEPLOYED[finding.deployed or survey.PLAIN]}{started}{notes}"
