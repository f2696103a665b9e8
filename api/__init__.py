"""HTTP and command-line layer: translates requests into engine calls, holds no business rules."""

from api.app import create_app

__all__ = ["create_app"]
