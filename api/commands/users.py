"""`flask users create`: add a person with roles at an org unit."""

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
@click.option("--password", required=True, help="登录密码（至少 8 位）")
@click.option("--role", "roles", multiple=True, required=True, help="角色编码，可重复")
@click.option("--org", "org_code", required=True, help="所在单位编码")
@click.option("--name", "display_name", help="显示姓名")
@with_appcontext
@fail_on_domain_error
def create(username, password, roles, org_code, display_name):
    """Create USERNAME holding every --role at the unit --org."""
    user = accounts.add_user(db.session, SYSTEM, username, password, list(roles), org_code, display_name)
    click.echo(f"已创建用户 {user.username}（{user.org.name}：{'、'.join(sorted(user.roles))}）")
