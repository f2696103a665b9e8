"""`flask timers run`: the timer service, as a long-running worker or a single sweep."""

import time
from datetime import datetime

import click
from flask.cli import with_appcontext

from engine.core.clock import SHANGHAI, clock
from engine.timers.sweep import sweep
from server.extensions import db


def _instant(_ctx, _param, value):
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"不是 ISO 8601 时刻：{value}（例如 2026-11-04T09:00:00+08:00）") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=SHANGHAI)


@click.group("timers", help="定时器服务")
def timers():
    pass


@timers.command("run")
@click.option("--once", is_flag=True, help="处理当前到期的定时器后退出")
@click.option("--now", callback=_instant, help="以此时刻为“现在”（演练或测试），如 2026-11-04T09:00:00+08:00")
@click.option("--interval", default=30.0, show_default=True, help="两次扫描之间的秒数")
@with_appcontext
def run(once, now, interval):
    """Fire due timers: once and exit with --once, else forever every --interval seconds."""
    if now is not None:
        if not once:
            raise click.UsageError("--now 只能与 --once 一起使用（冻结的时钟不会走动）")
        clock.freeze(now)
    while True:
        result = sweep(db.session)
        db.session.remove()
        if result.fired or result.failed or once:
            click.echo(f"{clock.now().isoformat()} 已触发 {result.fired} 个定时器，失败 {result.failed} 个")
        for error in result.errors:
            click.echo(f"  {error}", err=True)
        if once:
            return
        time.sleep(interval)
