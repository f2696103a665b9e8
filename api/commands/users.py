"""`flask users create`: add a person with roles at an org unit; `reset-password` and `unlock` for one who
forgot their password or is locked out."""

import click
from flask.cli import with_appcontext

from api.commands.output import fail_on_domain_error
from engine.org import accounts
from engine.org.permissions import SYSTEM
from server.extensions import db


@click.group("users", help="用户管理")
def users():
    pass


@users.command("create")
@click.argument("username")
@click.option(
    "--password", required=True, help="初始密码（至少 10 位，含字母、数字、符号中的至少两类，不含用户名，不是常见密码）"
)
@click.option("--role", "roles", multiple=True, required=True, help="角色编码，可重复")
@click.option("--org", "org_code", required=True, help="所在单位编码")
@click.option("--name", "display_name", help="显示姓名")
@click.option(
    "--no-forced-change",
    "keep_password",
    is_flag=True,
    help="不要求首次登录修改密码（密码由本人设定时，如第一位管理员、接口账号）",
)
@with_appcontext
@fail_on_domain_error
def create(username, password, roles, org_code, display_name, keep_password):
    """Create USERNAME holding every --role at the unit --org; they change the password at the first sign-in."""
    user = accounts.add_user(
        db.session,
        SYSTEM,
        username,
        password,
        list(roles),
        org_code,
        display_name,
        must_change_password=not keep_password,
    )
    click.echo(f"已创建用户 {user.username}（{user.org.name}：{'、'.join(sorted(user.roles))}）")
    if user.must_change_password:
        click.echo("首次登录须修改密码")


@users.command("reset-password")
@click.argument("username")
@click.option("--password", required=True, help="新的初始密码（规则同 create）；用户下次登录须修改")
@with_appcontext
@fail_on_domain_error
def reset_password(username, password):
    """Give USERNAME a new initial password: the account is unlocked and must change it at the next sign-in."""
    user = accounts.reset_password(db.session, SYSTEM, username, password)
    click.echo(f"已重置 {user.username} 的密码，并已解除锁定；下次登录须修改密码")


@users.command("unlock")
@click.argument("username")
@with_appcontext
@fail_on_domain_error
def unlock(username):
    """End the lock-out of USERNAME after repeated failed sign-ins, before its time."""
    user = accounts.unlock(db.session, SYSTEM, username)
    click.echo(f"已解除 {user.username} 的锁定")
