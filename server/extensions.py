"""Flask extensions, created unbound and initialised by the app factory."""

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
