"""Persistent records of the engine (SQLAlchemy, no Flask)."""
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
