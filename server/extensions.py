"""Flask extensions, created unbound and initialised by the app factory."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from engine.core.models import Base

db = SQLAlchemy(metadata=Base.metadata, session_options={"expire_on_commit": False})
migrate = Migrate()
api = Api()
login_manager = LoginManager()
csrf = CSRFProtect()
# Limits only the routes that ask for one (server/public.py); storage from RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=get_remote_address)

# Security headers, by Flask-Talisman (one per app: `server.app.harden`). The policy allows scripts of this site
# only, no inline script and no handler attribute; styles may be inline because bpmn-js, diagram-js and echarts
# write style attributes and the printed notices carry their own <style>.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = {"geolocation": "()", "microphone": "()", "payment": "()", "usb": "()"}
