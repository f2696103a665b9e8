"""The Flask application: factory, settings, extensions, login and current account, error mapping,
request-argument schemas — what api/ and web/ share.

`server.app` is the composition root: the one module here that imports api/ and web/ (to register their
blueprints, commands and pages). Every other module of this package is imported by both and imports neither.
"""
