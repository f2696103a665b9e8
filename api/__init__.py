"""HTTP and command-line layer: translates requests into engine calls, holds no business rules.

The application itself (factory, settings, login, error mapping) is `server/`; `server.app.create_app`
registers this package's blueprints and commands.
"""
