"""People and org units: creating them, checking passwords, seeding the demo organisation."""

import tomllib
from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload

from engine.core.errors import Conflict, Invalid, NotFound
from engine.core.models import OrgUnit, RoleGrant, User
from engine.core.reference import DATA_DIR, reference
from engine.core.uow import unit_of_work
from engine.org import security_log, signin
from engine.org.passwords import hash_password
from engine.org.permissions import (
    ADMIN,
    Actor,
    ensure_admin,
    ensure_may_create_unit_of_kind,
    in_scope,
    is_system_level,
    unit_scope_condition,
)

STATION = "station"
NO_UNIT = "请选择单位"
SEARCH_MAX = 60


def role_problems(roles: list[str]) -> dict[str, list[str]]:
    """The `role` error of a user's roles: none, or one the product does not know."""
    unknown = [r for r in roles if r not in reference().roles]
    if unknown:
        return {"role": [f"未知角色：{', '.join(unknown)}；可用角色：{', '.join(reference().roles)}"]}
    return {} if roles else {"role": ["至少需要一个角色"]}


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
    session: Session,
    username: str,
    password: str,
    roles: list[str],
    org_code: str,
    display_name: str | None = None,
    check_password: bool = True,
) -> User:
    """A user with roles at a unit; the password keeps the rules (`signin.password_problems`) unless it is the
    demo organisation's, seeded as it is (`check_password=False`)."""
    errors = role_problems(roles)
    problems = signin.password_problems(password, username) if check_password else []
    if problems:
        errors["password"] = problems
    unit = session.scalars(select(OrgUnit).where(OrgUnit.code == org_code)).first() if org_code else None
    if unit is None:
        errors["org"] = [f"未知单位编码：{org_code}" if org_code else NO_UNIT]
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


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    unit: str
    role: str
    role_code: str


def demo_logins() -> list[DemoLogin]:
    """One login per role of each unit's kind, plus the numbered members of a unit's `panel` (several 评审专家
    score one 专家评估 in parallel, each once)."""
    doc = tomllib.loads((DATA_DIR / "demo.toml").read_text(encoding="utf-8"))
    logins = []
    for unit in doc["unit"]:
        names = [(role, role) for role in doc["roles_by_kind"][unit["kind"]]]
        names += [(role, f"{role}{i}") for role, size in unit.get("panel", {}).items() for i in range(1, size + 1)]
        for role, name in names:
            username = f"{unit['slug']}.{name}"
            logins.append(DemoLogin(username, doc["password"], unit["name"], reference().role_name(role), role))
    return logins


def seed_demo(session: Session) -> bool:
    """Create the demo organisation and users once; returns False when data already exists. A demo user's name
    is their role: pages and notices already print the unit beside it (曲江村's agent is not 曲江村村(社区)…)."""
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
            create_user(
                session,
                login.username,
                login.password,
                [login.role_code],
                unit_entry["code"],
                login.role,
                check_password=False,
            )
    return True


# --- Administering people and units ------------------------------------------------------------


def units(session: Session) -> list[OrgUnit]:
    """Every org unit in code order: the tree's codes share their parents' prefixes."""
    return list(session.scalars(select(OrgUnit).order_by(OrgUnit.code)))


def units_in_scope(session: Session, user: Actor) -> list[OrgUnit]:
    """The units of a user's scope (`permissions.scope_root`: their unit and those under it, every unit at the
    system level) in code order: what the units page and the unit filters offer."""
    return list(session.scalars(select(OrgUnit).where(unit_scope_condition(user, OrgUnit.id)).order_by(OrgUnit.code)))


def users(session: Session, admin: User, search: str | None = None) -> list[User]:
    """The users of the units of the administrator's scope; with `search`, those whose user name, name, unit
    name or unit code contains it (any case)."""
    ensure_admin(admin)
    statement = (
        select(User)
        .join(OrgUnit, OrgUnit.id == User.org_id)
        .where(unit_scope_condition(admin, User.org_id))
        .order_by(OrgUnit.code, User.username)
    )
    if search:
        if len(search) > SEARCH_MAX:
            raise Invalid("搜索内容过长", {"q": [f"搜索内容不超过{SEARCH_MAX}个字符"]})
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (User.username, User.display_name, OrgUnit.name, OrgUnit.code)
                )
            )
        )
    return list(session.scalars(statement))


def managed_user(session: Session, admin: Actor, username: str, what: str) -> User:
    """The user an administrator acts on: one of a unit of their scope. Any other answers as unknown (404), and
    the refusal (`what`, in words) goes to the security log."""
    ensure_admin(admin)
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"用户不存在：{username}")
    if not in_scope(admin, user.org):
        _scope_refused(session, admin, f"{what} {username}")
        raise NotFound(f"用户不存在：{username}")
    return user


def deactivate_user(session: Session, admin: Actor, username: str) -> User:
    """停用: the account keeps its history but can no longer log in or use a token it holds."""
    user = managed_user(session, admin, username, "停用用户")
    if isinstance(admin, User) and user.id == admin.id:
        raise Conflict("不能停用自己的账号")
    with unit_of_work(session):
        user.active = False
        security_log.record(session, security_log.USER_DEACTIVATED, user=user, by=admin.username)
    return user


def edit_user(
    session: Session, admin: Actor, username: str, display_name: str, org_code: str, roles: list[str]
) -> User:
    """Change a user's name, unit and roles: the user and the new unit both of the administrator's scope (a unit
    outside is refused as an unknown code); administrators cannot take their own 系统管理员 role away. Every
    problem is reported at once; a change of roles goes to the security log."""
    user = managed_user(session, admin, username, "修改用户")
    errors = role_problems(roles)
    if not display_name:
        errors["display_name"] = ["请填写姓名"]
    unit = session.scalars(select(OrgUnit).where(OrgUnit.code == org_code)).first() if org_code else None
    if not org_code:
        errors["org"] = [NO_UNIT]
    elif unit is None or not in_scope(admin, unit):
        errors["org"] = [f"未知单位编码：{org_code}"]
        if unit is not None:
            _scope_refused(session, admin, f"把用户 {username} 调到{unit.name}（{unit.code}）")
    if isinstance(admin, User) and user.id == admin.id and ADMIN not in roles:
        errors["role"] = ["不能取消自己的系统管理员角色"]
    if errors or unit is None:
        raise Invalid("用户信息有误", errors)
    wanted = set(roles)
    with unit_of_work(session):
        if wanted != user.roles:
            security_log.record(session, security_log.ROLE_CHANGED, user=user, by=admin.username, roles=sorted(wanted))
            user.role_grants = [grant for grant in user.role_grants if grant.role in wanted] + [
                RoleGrant(role=role) for role in sorted(wanted - user.roles)
            ]
        user.display_name = display_name
        user.org_id = unit.id
    return user


def reset_to_temporary(session: Session, admin: Actor, username: str) -> tuple[User, str]:
    """重置密码 from the administrators' page: a temporary password the system draws (`signin.temporary_password`),
    to be shown once and replaced by its owner at the next sign-in."""
    password = signin.temporary_password(username)
    return reset_password(session, admin, username, password), password


def reset_password(session: Session, admin: Actor, username: str, password: str) -> User:
    """An administrator gives a user of their scope a new initial password: the account is unlocked and its owner
    must change the password at the next sign-in."""
    user = managed_user(session, admin, username, "重置密码")
    signin.ensure_password_allowed(password, username)
    with unit_of_work(session):
        signin.set_password(user, password)
        user.must_change_password = True
        security_log.record(session, security_log.PASSWORD_RESET, user=user, by=admin.username)
    return user


def unlock(session: Session, admin: Actor, username: str) -> User:
    """An administrator ends the lock-out of a user of their scope before its time."""
    user = managed_user(session, admin, username, "解除锁定")
    with unit_of_work(session):
        user.failed_logins = 0
        user.locked_until = None
        security_log.record(session, security_log.UNLOCKED, user=user, by=admin.username)
    return user


def add_user(
    session: Session,
    admin: Actor,
    username: str,
    password: str,
    roles: list[str],
    org_code: str,
    display_name: str | None = None,
    must_change_password: bool = True,
) -> User:
    """Create a user (the administrators' page, `flask users create`): every problem reported at once. Only at a
    unit of the administrator's scope: a unit outside is refused as an unknown code. The administrator chose the
    password, so its owner must replace it at the first sign-in (`flask users create --no-forced-change` not)."""
    ensure_admin(admin)
    refused: dict[str, list[str]] = {"username": ["请填写用户名"]} if not username else {}
    unit = session.scalars(select(OrgUnit).where(OrgUnit.code == org_code)).first()
    if unit is not None and not in_scope(admin, unit):
        refused["org"] = [f"未知单位编码：{org_code}"]
        _scope_refused(session, admin, f"在{unit.name}（{unit.code}）新建用户 {username}")
    with unit_of_work(session):
        try:
            user = create_user(session, username, password, roles, org_code, display_name)
        except Invalid as exc:
            raise Invalid(exc.message, refused | exc.errors) from None
        if refused:
            raise Invalid("用户信息有误", refused)
        user.must_change_password = must_change_password
        security_log.record(session, security_log.USER_CREATED, user=user, by=admin.username, roles=sorted(user.roles))
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
    """Create a unit under a unit of the administrator's scope (one outside is refused as an unknown code); only a
    system-level administrator creates a unit at the top or of a system-wide kind."""
    ensure_admin(admin)
    errors = {}
    if not code:
        errors["code"] = ["请填写单位编码"]
    elif session.scalars(select(OrgUnit).where(OrgUnit.code == code)).first() is not None:
        errors["code"] = [f"单位编码已存在：{code}"]
    if not name:
        errors["name"] = ["请填写单位名称"]
    if parent_code:
        parent = session.scalars(select(OrgUnit).where(OrgUnit.code == parent_code)).first()
        if parent is not None and not in_scope(admin, parent):
            errors["parent"] = [f"未知单位编码：{parent_code}"]
            _scope_refused(session, admin, f"在{parent.name}（{parent.code}）下新建单位 {code}")
    elif not is_system_level(admin):
        errors["parent"] = ["请选择上级单位（本单位或下级单位）"]
    try:
        ensure_may_create_unit_of_kind(admin, kind)
    except Invalid as exc:
        errors |= exc.errors
        _scope_refused(session, admin, f"新建{reference().kinds[kind].name}单位 {code}")
    if errors:
        raise Invalid("单位信息有误", errors)
    with unit_of_work(session):
        unit = create_unit(session, code, name, kind, parent_code or None, station_type or None)
    return unit


def _scope_refused(session: Session, admin: Actor, what: str) -> None:
    """Keep a refusal outside the administrator's scope in the security log (in a unit of work of its own: the
    refused change writes nothing)."""
    security_log.record_alone(session, security_log.SCOPE_REFUSED, user=admin, scope=what)
