"""People and org units: creating them, checking passwords, seeding the demo organisation."""

import tomllib
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from engine.core.errors import Conflict, Invalid, NotFound
from engine.core.models import OrgUnit, RoleGrant, User
from engine.core.reference import DATA_DIR, reference
from engine.core.uow import unit_of_work
from engine.org.passwords import hash_password, verify_password
from engine.org.permissions import Actor, ensure_admin

STATION = "station"


def create_unit(
    session: Session,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None = None,
    station_type: str | None = None,
) -> OrgUnit:
    if kind not in reference().kinds:
        raise Invalid("未知单位类型", {"kind": [f"未知单位类型：{kind}"]})
    if station_type is not None and kind != STATION:
        raise Invalid("服务站类型有误", {"station_type": ["只有医保服务站有服务站类型"]})
    parent = None
    if parent_code:
        parent = session.scalars(select(OrgUnit).where(OrgUnit.code == parent_code)).first()
        if parent is None:
            raise Invalid("上级单位不存在", {"parent": [f"未知单位编码：{parent_code}"]})
    unit = OrgUnit(code=code, name=name, kind=kind, parent=parent, station_type=station_type)
    session.add(unit)
    session.flush()
    return unit


def create_user(
    session: Session, username: str, password: str, roles: list[str], org_code: str, display_name: str | None = None
) -> User:
    errors: dict[str, list[str]] = {}
    unknown = [r for r in roles if r not in reference().roles]
    if unknown:
        errors["role"] = [f"未知角色：{', '.join(unknown)}；可用角色：{', '.join(reference().roles)}"]
    if not roles:
        errors["role"] = ["至少需要一个角色"]
    if len(password) < 8:
        errors["password"] = ["密码至少 8 位"]
    unit = session.scalars(select(OrgUnit).where(OrgUnit.code == org_code)).first()
    if unit is None:
        errors["org"] = [f"未知单位编码：{org_code}"]
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        errors["username"] = [f"用户名已存在：{username}"]
    if errors or unit is None:
        raise Invalid("用户信息有误", errors)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        org_id=unit.id,
        role_grants=[RoleGrant(role=r) for r in dict.fromkeys(roles)],
    )
    session.add(user)
    session.flush()
    return user


_USER_WITH_ROLES = select(User).options(joinedload(User.role_grants)).where(User.id == bindparam("user_id"))


def active_user(session: Session, user_id: int | str) -> User | None:
    """The user behind a session or token, with their roles in one query; None once deactivated.

    Asked on every request, so the statement is built once and only its parameter bound per call.
    """
    user = session.execute(_USER_WITH_ROLES, {"user_id": user_id}).unique().scalar_one_or_none()
    return user if user is not None and user.active else None


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active or not verify_password(user.password_hash, password):
        return None
    return user


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    unit: str
    role: str


def demo_logins() -> list[DemoLogin]:
    doc = tomllib.loads((DATA_DIR / "demo.toml").read_text(encoding="utf-8"))
    return [
        DemoLogin(f"{unit['slug']}.{role}", doc["password"], unit["name"], reference().role_name(role))
        for unit in doc["unit"]
        for role in doc["roles_by_kind"][unit["kind"]]
    ]


def seed_demo(session: Session) -> bool:
    """Create the demo organisation and users once; returns False when data already exists."""
    if session.scalar(select(func.count()).select_from(OrgUnit)):
        return False
    doc = tomllib.loads((DATA_DIR / "demo.toml").read_text(encoding="utf-8"))
    with unit_of_work(session):
        for entry in doc["unit"]:
            create_unit(
                session, entry["code"], entry["name"], entry["kind"], entry.get("parent"), entry.get("station_type")
            )
        for login in demo_logins():
            unit_entry = next(u for u in doc["unit"] if u["name"] == login.unit)
            role = login.username.split(".", 1)[1]
            create_user(
                session, login.username, login.password, [role], unit_entry["code"], f"{login.unit}{login.role}"
            )
    return True


# --- Administering people and units ------------------------------------------------------------


def units(session: Session) -> list[OrgUnit]:
    """Every org unit in code order: the tree's codes share their parents' prefixes."""
    return list(session.scalars(select(OrgUnit).order_by(OrgUnit.code)))


def users(session: Session, admin: User) -> list[User]:
    ensure_admin(admin)
    return list(
        session.scalars(select(User).join(OrgUnit, OrgUnit.id == User.org_id).order_by(OrgUnit.code, User.username))
    )


def deactivate_user(session: Session, admin: User, username: str) -> User:
    """停用: the account keeps its history but can no longer log in or use a token it holds."""
    ensure_admin(admin)
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"用户不存在：{username}")
    if user.id == admin.id:
        raise Conflict("不能停用自己的账号")
    with unit_of_work(session):
        user.active = False
    return user


def add_user(
    session: Session,
    admin: Actor,
    username: str,
    password: str,
    roles: list[str],
    org_code: str,
    display_name: str | None = None,
) -> User:
    """Create a user (the administrators' page, `flask users create`): every problem reported at once."""
    ensure_admin(admin)
    missing = {"username": ["请填写用户名"]} if not username else {}
    with unit_of_work(session):
        try:
            user = create_user(session, username, password, roles, org_code, display_name)
        except Invalid as exc:
            raise Invalid(exc.message, missing | exc.errors) from None
        if missing:
            raise Invalid("用户信息有误", missing)
    return user


def add_unit(
    session: Session,
    admin: User,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None,
    station_type: str | None = None,
) -> OrgUnit:
    ensure_admin(admin)
    errors = {}
    if not code:
        errors["code"] = ["请填写单位编码"]
    elif session.scalars(select(OrgUnit).where(OrgUnit.code == code)).first() is not None:
        errors["code"] = [f"单位编码已存在：{code}"]
    if not name:
        errors["name"] = ["请填写单位名称"]
    if errors:
        raise Invalid("单位信息有误", errors)
    with unit_of_work(session):
        unit = create_unit(session, code, name, kind, parent_code or None, station_type or None)
    return unit
