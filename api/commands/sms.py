"""`flask sms send`: the SMS sender, as a long-running worker or one pass over what is due."""

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.core.errors import Unavailable
from engine.sms.gateways import GatewaySettings, gateway_from
from engine.sms.sender import Policy, Round, send_due, sender_name
from server.extensions import db


@click.group("sms", help="短信通知")
def sms():
    pass


def _policy() -> Policy:
    config = current_app.config
    return Policy(
        batch=config["SMS_BATCH"],
        max_attempts=config["SMS_MAX_ATTEMPTS"],
        backoff_seconds=config["SMS_BACKOFF_SECONDS"],
        max_backoff_seconds=config["SMS_MAX_BACKOFF_SECONDS"],
        lease_seconds=config["SMS_LEASE_SECONDS"],
    )


def _gateway():
    config = current_app.config
    return gateway_from(
        GatewaySettings(
            kind=config["SMS_GATEWAY"],
            log_path=config["SMS_LOG_PATH"],
            url=config["SMS_GATEWAY_URL"],
            api_key=config["SMS_GATEWAY_KEY"],
            timeout=config["SMS_GATEWAY_TIMEOUT"],
        )
    )


@sms.command("send")
@click.option("--once", is_flag=True, help="发送当前到期的短信后退出")
@click.option("--interval", default=5.0, show_default=True, help="无短信可发时两次查询之间的秒数")
@with_appcontext
def send(once, interval):
    """Send due messages: everything due now and exit with --once, else forever."""
    try:
        gateway = _gateway()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    policy, name = _policy(), sender_name()
    while True:
        try:
            result = send_due(db.session, gateway, policy, name)
        except Unavailable as exc:
            click.echo(f"  {exc.message}", err=True)
            result = Round()
        finally:
            db.session.remove()
        if result.sent or result.retried or result.failed:
            click.echo(f"已发送 {result.sent} 条，稍后重试 {result.retried} 条，放弃 {result.failed} 条")
        for error in result.errors:
            click.echo(f"  {error}", err=True)
        if not (result.sent or result.retried or result.failed):
            if once:
                return
            time.sleep(interval)
