"""`flask catalog ...`: import an annex-shaped table into the catalogue, list the catalogue's items."""

import getpass
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import AppGroup

from engine.catalogue import imported_lists
from engine.catalogue.flows import catalog as current_catalog
from engine.catalogue.flows import reviewed_catalog
from engine.catalogue.items import CatalogImportError
from engine.org.permissions import SystemActor
from server.extensions import db

catalog = AppGroup("catalog", help="事项清单：导入管理员整理的清单表，查看已有事项。")


def _refuse(lines: list[str]) -> NoReturn:
    click.echo("\n".join(lines), err=True)
    raise SystemExit(2)


@catalog.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--by",
    "imported_by",
    default=getpass.getuser,
    show_default="current OS user",
    help="who imports (recorded with the import)",
)
def import_table(file: Path, imported_by: str) -> None:
    """Import every row of FILE (tab-separated, columns: processes/catalog/README.md) or, if any row is bad, none."""
    try:
        items = imported_lists.import_table(db.session, SystemActor(imported_by), file, reviewed_catalog())
    except CatalogImportError as exc:
        _refuse(
            [f"{file}:{row}: {reason}" if row else f"{file}: {reason}" for row, reason in exc.errors]
            + [f"{file}: 未导入任何事项"]
        )
    lists = "、".join(sorted({item.list_id for item in items}))
    click.echo(f"已从 {file} 导入 {len(items)} 个事项（清单：{lists}）")


@catalog.command("list")
@click.option("--region", help="only the items of this region, e.g. 丰城市")
def list_items(region: str | None) -> None:
    """Print one line per item: id, list, accepting levels, time limit, name."""
    current = current_catalog()
    items = current.filter(region=region)
    if not items:
        regions = "、".join(sorted({item.region for item in current.items}))
        _refuse([f"--region: 没有“{region}”的事项（已有地区：{regions}）"])
    levels = current.vocabulary.levels
    for item in items:
        limit = {None: "", 0: "即时办结"}.get(item.limit_days, f"{item.limit_days}个工作日")
        click.echo(
            "\t".join([item.id, item.list_id, "、".join(levels[level] for level in item.levels), limit, item.name])
        )
