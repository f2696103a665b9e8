"""The data of bench/scale.py: a province's units, template cases worked by the engine, and their clones.

The units: 20 counties under the demo's 医保经办平台, each with its 医保中心 and 10 townships of 3 villages (20
centres, 200 townships, 600 villages). The templates: 门诊费用报销 (fc-v-08) cases accepted at 曲江村 and worked by
the engine (bench/engine.py's walk) to each stage — 乡镇初审, 移交, 医保中心复核, 拨付 and 出件 waiting, concluded,
and rejected at 初审 then handed out. The clones: every row of a template case, in every table that holds case
data (a foreign key to case_instance, found from the database itself, so columns other work adds are copied too),
copied by one INSERT … SELECT per table from a map of new case ids (generate_series): the demo's units become a
bench village's, its township's, centre's and county's, instants move back by a day count drawn from the new id,
and unique values (ids, 办件编号, the applicant's numbers, claimed invoices) are made the clone's own; see
NOT_CLONED for what is left out.
The SLA day counts are then rebuilt from the raw rows, as an upgrade would.
"""

from datetime import datetime, timedelta

from sqlalchemy import DateTime, Integer, MetaData, String, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.types import Date

from bench.engine import STEPS, Service
from engine.core.clock import SHANGHAI, clock
from engine.core.models import OrgUnit
from engine.org import accounts
from engine.reporting import rebuild
from server.extensions import db

COUNTIES, TOWNSHIPS_PER_COUNTY, VILLAGES_PER_TOWNSHIP = 20, 10, 3
TEMPLATE_AT = datetime(2026, 11, 16, 10, 0, tzinfo=SHANGHAI)  # a Monday; the bench reads as of NOW
NOW = TEMPLATE_AT + timedelta(hours=2)
REJECT = {"decision": "reject", "opinion": "不符合报销条件", "reason": "发票与费用清单不符"}
COLLECTED = STEPS[-1]
# Template name → (steps worked, share of all cases, days back a clone may lie: running cases within their stage
# limits but the centre's 5 working days, ended ones over two years). Running cases hold one open task each:
# 2/3 of the cases, so 1.5M cases hold 1M open tasks.
TEMPLATES = {
    "township_review": (STEPS[:0], 0.20, 10),
    "handover": (STEPS[:1], 0.07, 10),
    "centre_review": (STEPS[:2], 0.20, 10),
    "payout": (STEPS[:4], 0.10, 10),
    "collection": (STEPS[:5], 2 / 3 - 0.57, 10),
    "concluded": (STEPS, 0.28, 730),
    "rejected": ([(STEPS[0][0], REJECT), COLLECTED], 1 / 3 - 0.28, 730),
}
BENCH_USERS = {
    "bench.township_clerk": ("township_clerk", "B01001"),
    "bench.centre_reviewer": ("centre_reviewer", "B01-YB"),
}
DEMO_UNITS = {"village": "360981104201", "township": "360981104", "centre": "360981-YB", "county": "360981"}
CHUNK = 100_000
# Not copied, to build 1.5M cases in minutes on two shared cores: a case's history and its SMS outbox, which no
# listing, inbox or SLA request reads (the SLA day counts of decisions then count the templates' only). A clone's
# workflow state is empty for the same reason: only a step loads it, and its heap row keeps a few bytes where a real
# one keeps an 18-byte TOAST pointer (the state itself lives out of line), so the listings read the same pages.
NOT_CLONED = {"audit_event", "sms_message"}


def build_units(session) -> None:
    """The bench's counties, centres, townships and villages, once, and a clerk and a reviewer among them."""
    if session.scalar(select(OrgUnit.id).where(OrgUnit.code == "B01")):
        return
    top = session.scalar(select(OrgUnit.id).where(OrgUnit.kind == "system"))
    for c in range(1, COUNTIES + 1):
        county = _unit(session, f"B{c:02d}", f"基准县{c:02d}", "county", top)
        _unit(session, f"B{c:02d}-YB", f"基准县{c:02d}医疗保障服务中心", "centre", county)
        for t in range(1, TOWNSHIPS_PER_COUNTY + 1):
            township = _unit(session, f"B{c:02d}{t:03d}", f"基准县{c:02d}第{t}镇", "township", county)
            for v in range(1, VILLAGES_PER_TOWNSHIP + 1):
                _unit(session, f"B{c:02d}{t:03d}{v:03d}", f"基准县{c:02d}第{t}镇第{v}村", "village", township)
    session.flush()
    for username, (role, code) in BENCH_USERS.items():
        accounts.create_user(session, username, "yibao2026", [role], code, check_password=False)
    session.commit()


def _unit(session, code: str, name: str, kind: str, parent: int | None) -> int:
    unit = OrgUnit(code=code, name=name, kind=kind, parent_id=parent)
    session.add(unit)
    session.flush()
    return unit.id


def build_templates(app, secret: str) -> dict[str, int]:
    """The template cases, worked by the engine as of TEMPLATE_AT, once: name → case id."""
    with app.app_context():
        db.session.execute(text("CREATE TABLE IF NOT EXISTS bench_clones (name text PRIMARY KEY, case_id int, n int)"))
        db.session.execute(
            text("CREATE TABLE IF NOT EXISTS bench_p95 (size int, name text, ms float, PRIMARY KEY (size, name))")
        )
        db.session.commit()
        known = dict(db.session.execute(text("SELECT name, case_id FROM bench_clones")).all())
        db.session.remove()
    if known:
        return known
    service = Service(app, secret)
    clock.freeze(TEMPLATE_AT)
    made = {name: service.run(steps) for name, (steps, _, _) in TEMPLATES.items()}
    with app.app_context():
        for name, case_id in made.items():
            db.session.execute(text("INSERT INTO bench_clones VALUES (:n, :c, 0)"), {"n": name, "c": case_id})
        db.session.commit()
        db.session.remove()
    return made


def grow(app, cases: int) -> None:
    """Clone the templates until the database holds about `cases` cases in the templates' shares."""
    with app.app_context():
        connection = db.session.connection()
        plan = _clone_plan(connection)
        _bench_units(connection)
        for name, template_id, have in connection.execute(text("SELECT name, case_id, n FROM bench_clones")).all():
            _, share, days_back = TEMPLATES[name]
            wanted = max(0, round(cases * share) - 1 - have)
            for start in range(0, wanted, CHUNK):
                count = min(CHUNK, wanted - start)
                _clone(connection, plan, template_id, count, days_back)
                connection.execute(
                    text("UPDATE bench_clones SET n = n + :k WHERE name = :name"), {"k": count, "name": name}
                )
                db.session.commit()
                connection = db.session.connection()
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence('case_instance', 'id'), (SELECT max(id) FROM case_instance))")
        )
        db.session.commit()
        rebuild.rebuild(db.session)
        db.session.commit()
        db.session.remove()
        with db.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as autocommit:
            autocommit.execute(text("VACUUM ANALYZE"))  # as autovacuum leaves bulk-inserted tables: visibility map set


def _bench_units(connection: Connection) -> None:
    """Village number → the village, its township, centre and county (for the clone map)."""
    connection.execute(
        text(
            "CREATE UNLOGGED TABLE IF NOT EXISTS bench_unit AS"
            " SELECT row_number() OVER (ORDER BY v.code) - 1 AS idx, v.id AS village, t.id AS township,"
            "  (SELECT id FROM org_unit WHERE code = c.code || '-YB') AS centre, c.id AS county"
            " FROM org_unit v JOIN org_unit t ON v.parent_id = t.id JOIN org_unit c ON t.parent_id = c.id"
            " WHERE v.kind = 'village' AND v.code LIKE 'B%'"
        )
    )


def _clone(connection: Connection, plan: list[tuple[str, str, str]], template_id: int, count: int, days: int) -> None:
    connection.execute(text("DROP TABLE IF EXISTS clone_map"))
    connection.execute(
        text(
            "CREATE UNLOGGED TABLE clone_map AS"
            " SELECT :tpl AS old_id, s.new_id, u.village, u.township, u.centre, u.county,"
            "  make_interval(days => ((s.new_id::bigint * 7919) % :days)::int, mins => (s.new_id % 480)::int) AS shift"
            " FROM (SELECT (SELECT max(id) FROM case_instance) + g AS new_id FROM generate_series(1, :count) g) s"
            " JOIN bench_unit u ON u.idx = s.new_id % (SELECT count(*) FROM bench_unit)"
        ),
        {"tpl": template_id, "days": days, "count": count},
    )
    for table, columns, expressions in plan:
        join = "t.id" if table == "case_instance" else "t.instance_id"
        connection.execute(
            text(
                f"INSERT INTO {table} ({columns}) SELECT {expressions} FROM {table} t JOIN clone_map m ON {join} = m.old_id"
            )
        )


def _clone_plan(connection: Connection) -> list[tuple[str, str, str]]:
    """Each table holding case data, case_instance first: (table, its columns, what each clone's row holds)."""
    metadata = MetaData()
    metadata.reflect(connection)
    units = {
        role: connection.scalar(select(text("id")).select_from(text("org_unit")).where(text("code = :c")), {"c": code})
        for role, code in DEMO_UNITS.items()
    }
    org_case = "CASE {col} " + " ".join(f"WHEN {units[role]} THEN m.{role}" for role in DEMO_UNITS) + " ELSE {col} END"
    plan = []
    for table in metadata.sorted_tables:
        refs = {fk.parent.name for fk in table.foreign_keys if fk.column.table.name == "case_instance"}
        if table.name in NOT_CLONED or (table.name != "case_instance" and "instance_id" not in refs):
            continue
        unique = {
            name
            for index in inspect(connection).get_indexes(table.name)
            if index["unique"]
            for name in index["column_names"]
        }
        unique |= {name for c in inspect(connection).get_unique_constraints(table.name) for name in c["column_names"]}
        names, values = [], []
        for column in table.columns:
            value = _cloned(table.name, column, refs, unique, org_case)
            if value is not None:
                names.append(column.name)
                values.append(value)
        plan.append((table.name, ", ".join(names), ", ".join(values)))
    return plan


def _cloned(table: str, column, refs: set[str], unique: set[str], org_case: str) -> str | None:
    """The SQL of a clone's value of `column` (t: the template's row, m: the clone map); None: the default."""
    col = f"t.{column.name}"
    if table == "case_instance" and column.name == "id":
        return "m.new_id"
    if table == "case_instance" and column.name == "state":
        return "'\\x'::bytea"
    if column.name in refs:
        return "m.new_id" if column.name == "instance_id" else "NULL"
    if any(fk.column.table.name == "org_unit" for fk in column.foreign_keys):
        return org_case.format(col=col)
    if column.primary_key and isinstance(column.type, Integer):
        return None
    if isinstance(column.type, DateTime):
        return f"{col} - m.shift"
    if isinstance(column.type, Date):
        return f"({col} - m.shift)::date"
    special = {
        "case_no": f"split_part({col}, '-', 1) || to_char(t.started_at + interval '8 hours' - m.shift, '-YYYYMMDD-')"
        " || lpad(m.new_id::text, greatest(6, length(m.new_id::text)), '0')",
        "applicant_name": "substr('王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗', (m.new_id % 20)::int + 1, 1)"
        " || chr(19968 + ((m.new_id / 20) % 20000)::int) || chr(19968 + ((m.new_id * 7) % 20000)::int)",
        "applicant_id_number": f"left({col}, 6) || lpad((m.new_id % 100000000000)::text, 11, '0') || right({col}, 1)",
        "applicant_mobile": "'13' || lpad((m.new_id % 1000000000)::text, 9, '0')",
    }
    if table == "case_instance" and column.name in special:
        return special[column.name]
    if isinstance(column.type, String) and (column.primary_key or column.name == "task_id" or column.name in unique):
        if column.type.length == 36:
            return f"CASE WHEN {col} IS NULL THEN NULL ELSE md5({col} || ':' || m.new_id)::uuid::text END"
        return f"left({col}, {(column.type.length or 40) - 9}) || '-' || m.new_id"
    return col
