"""`flask sla rebuild | check`: the daily SLA counts and the open tasks' counts recomputed from the raw rows, or
compared with them."""

from datetime import date

import click
from flask.cli import with_appcontext

from engine.reporting import rebuild as counts
from server.extensions import db

SPANS = {"day": "日", "month": "月"}


def _day(_ctx, _param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"不是日期：{value}（例如 2026-11-01）") from None


@click.group("sla", help="时效统计的每日汇总")
def sla():
    pass


@sla.command("rebuild")
@click.option("--since", callback=_day, help="从此日所在月的1日起重算，如 2026-11-05 即自 2026-11-01 起；缺省重算全部")
@with_appcontext
def rebuild(since):
    """Replace the counts from SINCE's month on with those computed from the cases, tasks and events (the open
    tasks' counts whole)."""
    written = counts.rebuild(db.session, since)
    click.echo(f"已重算{'自 ' + since.replace(day=1).isoformat() + ' 起' if since else '全部'}的时效汇总：{written} 行")


@sla.command("check")
@click.option("--since", callback=_day, help="从此日所在月的1日起核对")
@with_appcontext
def check(since):
    """Compare the counts with the raw rows; name each differing row and exit 1 if any differs."""
    stored, raw = counts.stored_rows(db.session, since), counts.raw_rows(db.session, since)
    stored_open, raw_open = counts.stored_open_counts(db.session), counts.raw_open_counts(db.session)
    db.session.rollback()
    differing = sorted(key for key in stored.keys() | raw.keys() if stored.get(key) != raw.get(key))
    for key in differing:
        span, day, org_id, item_id, stage = key
        where = f"{SPANS[span]} {day.isoformat()}\t单位 {org_id}\t{item_id}\t{stage or '（办件）'}"
        click.echo(f"{where}\t汇总 {stored.get(key)}\t原始 {raw.get(key)}")
    open_differing = sorted(k for k in stored_open.keys() | raw_open.keys() if stored_open.get(k) != raw_open.get(k))
    for key in open_differing:
        due_at, org_id, stage, item_id = key
        where = f"未办任务 期限 {due_at.isoformat()}\t单位 {org_id}\t{item_id}\t{stage}"
        click.echo(f"{where}\t汇总 {stored_open.get(key)}\t原始 {raw_open.get(key)}")
    if differing or open_differing:
        click.echo(f"{len(differing) + len(open_differing)} 行不一致，请运行 flask --app wsgi sla rebuild", err=True)
        raise SystemExit(1)
    click.echo(f"时效汇总与原始记录一致：{len(raw)} 行；未办任务计数 {len(raw_open)} 行")
