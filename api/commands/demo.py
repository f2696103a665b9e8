"""`flask demo`: seed the demo organisation and its users."""

import click
from flask.cli import with_appcontext

from engine.org import accounts
from server.extensions import db


@click.command("demo", help="载入演示单位与用户")
@click.option("--if-empty", is_flag=True, help="库中已有单位时什么也不做")
@click.option("--logins", "show_logins", is_flag=True, help="只打印演示账号，不载入")
@with_appcontext
def demo(if_empty, show_logins):
    """Seed the demo organisation (or, with --logins, only list its accounts)."""
    if not show_logins:
        created = accounts.seed_demo(db.session)
        if not created and not if_empty:
            click.echo("库中已有单位数据，未重复载入", err=True)
            raise SystemExit(2)
        click.echo("已载入演示单位与用户" if created else "演示单位与用户已在库中")
        return
    logins = accounts.demo_logins()
    click.echo(f"演示账号（密码均为 {logins[0].password}）：")
    for login in logins:
        click.echo(f"  {login.username:<32} {login.unit} {login.role}")
