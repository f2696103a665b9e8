"""How commands report a refused input: the message on stderr and exit code 2."""

import functools

import click

from engine.core.errors import DomainError


def fail_on_domain_error(command):
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DomainError as exc:
            lines = [exc.message] + [f"  {field}: {'; '.join(map(str, msgs))}" for field, msgs in exc.errors.items()]
            click.echo("\n".join(lines), err=True)
            raise SystemExit(2) from exc

    return wrapper
