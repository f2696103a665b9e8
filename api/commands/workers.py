"""`flask workers create NAME --scope UNITCODE`: a credential for an external-task worker, its secret printed once;
`workers list`, `workers revoke NAME`."""

import click
from flask.cli import with_appcontext

from api.commands.output import fail_on_domain_error
from engine.org import workers as credentials
from engine.org.permissions import SYSTEM
from server.extensions import db


@click.group("workers", help="外部任务接口凭据（/engine-rest）")
def workers():
    pass


@workers.command("create")
@click.argument("name")
@click.option("--scope", "unit_code", required=True, help="单位编码：凭据只能处理该单位及其下级单位的办件")
@with_appcontext
@fail_on_domain_error
def create(name, unit_code):
    """Issue credential NAME for the cases of --scope and the units below it; the secret is shown only now."""
    issued = credentials.create(db.session, SYSTEM, name, unit_code)
    click.echo(f"已创建接口凭据 {issued.credential.name}（范围：{issued.credential.org.name}）")
    click.echo("密钥（只显示这一次，请妥善保存）：")
    click.echo(issued.secret)


@workers.command("list")
@with_appcontext
@fail_on_domain_error
def listing():
    """Every credential: name, scope, when issued, whether revoked."""
    for credential in credentials.listing(db.session, SYSTEM):
        state = f"已吊销 {credential.revoked_at:%Y-%m-%d %H:%M}" if credential.revoked_at else "有效"
        click.echo(
            f"{credential.name}\t{credential.org.code} {credential.org.name}\t{credential.created_at:%Y-%m-%d}\t{state}"
        )


@workers.command("revoke")
@click.argument("name")
@with_appcontext
@fail_on_domain_error
def revoke(name):
    """Refuse credential NAME from its next request on."""
    credential = credentials.revoke(db.session, SYSTEM, name)
    click.echo(f"已吊销接口凭据 {credential.name}")
