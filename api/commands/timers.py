"""`flask timers run`: the timer service, as a long-running worker or a single sweep."""

from datetime import datetime, timedelta

import click
from flask.cli import with_appcontext

from engine.core.clock import SHANGHAI, clock
from engine.core.errors import Unavailable
from engine.timers import wakeups
from engine.timers.sweep import Sweep, sweep
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
@click.option(
    "--max-sleep",
    default=wakeups.MAX_SLEEP,
    show_default=True,
    type=click.FloatRange(0.1, wakeups.MAX_SLEEP),
    help="两次扫描之间最多等待的秒数（到期即扫描；PostgreSQL 上有更早的定时器时即被唤醒，SQLite 上每秒查看一次）",
)
@with_appcontext
def run(once, now, max_sleep):
    """Fire due timers: once and exit with --once, else forever, each sweep when the next timer is due."""
    if now is not None:
        if not once:
            raise click.UsageError("--now 只能与 --once 一起使用（冻结的时钟不会走动）")
        clock.freeze(now)
    if once:
        _report(sweep(db.session), always=True)
        db.session.remove()
        return
    wakeups.warm_up(db.session)
    waker = wakeups.waker_for(db.engine, max_sleep)
    woken_by = "有更早的定时器时即被唤醒" if isinstance(waker, wakeups.Listener) else "每秒查看一次"
    click.echo(f"定时器服务已启动：到期即触发，{woken_by}，最长等待 {waker.cap:g} 秒")
    try:
        while True:
            try:
                result = sweep(db.session)
                due = wakeups.next_due(db.session)
                wakeups.prepare(db.session, waker.cap)
            except Unavailable as exc:  # the database is away: look again in a second
                click.echo(f"  {exc.message}", err=True)
                result, due = Sweep(), clock.now() + timedelta(seconds=wakeups.POLL)
            db.session.remove()
            _report(result)
            waker.wait(wakeups.pause(due, bool(result.fired or result.failed or result.chased), waker.cap))
    finally:
        waker.close()


def _report(result: Sweep, always: bool = False) -> None:
    if result.fired or result.failed or always:
        click.echo(f"{clock.now().isoformat()} 已触发 {result.fired} 个定时器，失败 {result.failed} 个")
    for error in result.errors:
        click.echo(f"  {error}", err=True)
