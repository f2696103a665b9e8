"""Every table holding case data carries its region (the distribution column on Citus, docs/architecture.md):
the tables are found from the models' foreign keys to case_instance, not from a list kept by hand."""

from engine.core.models import Base, CaseInstance

CASES = CaseInstance.__table__


def tables_holding_case_data():
    return sorted(
        table.name
        for table in Base.metadata.tables.values()
        if any(key.column.table is CASES for key in table.foreign_keys)
    )


def test_every_table_with_a_foreign_key_to_case_instance_has_a_region_column():
    tables = tables_holding_case_data()
    assert {"task", "audit_event", "timer", "sms_message"} <= set(tables), tables
    missing = [name for name in tables if "region" not in Base.metadata.tables[name].c]
    assert missing == [], f"tables holding case data without a region column: {missing}"
    assert "region" in CASES.c


def test_the_region_is_a_string_column_indexed_with_the_case_id():
    for name in (CASES.name, *tables_holding_case_data()):
        column = Base.metadata.tables[name].c.region
        assert column.type.length == 100 and not column.nullable, name
    assert any([c.name for c in index.columns] == ["region", "id"] for index in CASES.indexes)
