"""The catalogue loader's validation and the administrator's TSV import, on small hand-made files."""

import shutil

import pytest

from engine.catalogue.items import CatalogError, CatalogImportError, limit_days_from_text, materials_from_text
from engine.catalogue.lists import DEFAULT_DIRECTORY, VOCABULARY_FILE, load_catalog
from engine.catalogue.tsv import parse_tsv

HEADER = """\
[list]
id = "{list_id}"
region = "{region}"
title = "测试清单"
source_file = "test.txt"
annex = "附件1"
"""

TOWNSHIP_ITEM = """\

[[items]]
id = "{id}"
row = {row}
code = "002036006001"
name = "门诊费用报销"
category = "待遇报销"
levels = ["township"]
pattern = "township_review_pay"
stage = "收件受理"
limit_days = 30
limit_text = "不超过30个工作日"
stage_limits = {{ township_review = 20, centre_review = 5, payout = 5 }}
materials = [{{ name = "费用发票原件" }}]
"""

VILLAGE_ITEM = """\

[[items]]
id = "{id}"
row = {row}
name = "门诊费用报销"
category = "待遇报销"
levels = ["village"]
proxy_for = "{proxy_for}"
pattern = "township_review_pay"
stage = "收件受理"
limit_days = 30
"""


def write_list(directory, list_id, items, region="丰城市"):
    path = directory / f"{list_id}.toml"
    path.write_text(HEADER.format(list_id=list_id, region=region) + "".join(items), encoding="utf-8")
    return path


@pytest.fixture
def catalog_dir(tmp_path):
    """A catalogue with the real vocabulary, one township list and one village list proxying to it."""
    shutil.copy(DEFAULT_DIRECTORY / VOCABULARY_FILE, tmp_path / VOCABULARY_FILE)
    write_list(tmp_path, "town", [TOWNSHIP_ITEM.format(id="t-01", row=1), TOWNSHIP_ITEM.format(id="t-02", row=2)])
    write_list(tmp_path, "village", [VILLAGE_ITEM.format(id="v-01", row=1, proxy_for="t-01")])
    return tmp_path


def broken(catalog_dir, old, new, list_id="town"):
    """Replace the first `old` in a list file; return the problems the loader reports."""
    path = catalog_dir / f"{list_id}.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CatalogError) as raised:
        load_catalog(catalog_dir)
    return raised.value.problems


def test_a_valid_catalogue_loads_with_lookups(catalog_dir):
    catalog = load_catalog(catalog_dir)
    assert [item.id for item in catalog.items] == ["t-01", "t-02", "v-01"]
    assert catalog.get("v-01").proxy_for == "t-01"
    assert catalog.get("t-01").source.annex == "附件1"
    assert [item.id for item in catalog.by_list("village")] == ["v-01"]
    assert [item.id for item in catalog.filter(level="village")] == ["v-01"]
    assert catalog.filter(region="永州市") == ()
    assert catalog.get("t-01").limit_at("township") == 30
    with pytest.raises(ValueError):
        catalog.get("t-01").limit_at("village")
    with pytest.raises(KeyError):
        catalog.get("nope")
    with pytest.raises(KeyError):
        catalog.by_list("nope")
    with pytest.raises(ValueError):
        catalog.filter(level="province")


def test_problem_names_file_line_and_item(catalog_dir):
    problems = broken(
        catalog_dir,
        'id = "t-02"\nrow = 2\ncode = "002036006001"\nname = "门诊费用报销"\ncategory = "待遇报销"\nlevels = ["township"]',
        'id = "t-02"\nrow = 2\ncode = "002036006001"\nname = "门诊费用报销"\ncategory = "待遇报销"\nlevels = ["province"]',
    )
    text = (catalog_dir / "town.toml").read_text(encoding="utf-8").splitlines()
    second_item_line = [number for number, line in enumerate(text, start=1) if line == "[[items]]"][1]
    assert problems == (
        f"town.toml:{second_item_line}: t-02: 未知的层级 province（可选：city, county, township, village, station）",
    )


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ('pattern = "township_review_pay"', 'pattern = "by_fax"', "未知的流程模式“by_fax”"),
        ('category = "待遇报销"', 'category = "杂项"', "未知的事项分类“杂项”"),
        ('stage = "收件受理"', 'stage = "全部办结"', "与流程模式 township_review_pay 的“收件受理”不符"),
        ('limit_days = 30', 'limit_days = -1', "limit_days 应为非负整数"),
        ('limit_days = 30', 'limit_days = 2.5', "limit_days 应为非负整数"),
        ('limit_days = 30', 'limit_days = "30"', "limit_days 应为非负整数"),
        (
            'limit_text = "不超过30个工作日"',
            'limit_text = "不超过20个工作日"',
            "limit_days=30 与办理时限“不超过20个工作日”（20）不符",
        ),
        ('limit_text = "不超过30个工作日"', 'limit_text = "尽快"', "无法识别的办理时限“尽快”"),
        ("payout = 5 }", "payout = 6 }", "分段时限合计 31 个工作日，超过总时限 30 个工作日"),
        ("payout = 5 }", "cashier = 5 }", "未知的分段时限名称 cashier"),
        ("payout = 5 }", "payout = -5 }", "stage_limits 的每一项应为非负整数天数"),
        ('name = "门诊费用报销"\n', "", "缺少必填字段 name"),
        ('row = 1\n', "", "缺少必填字段 row"),
        ('code = "002036006001"', 'kode = "002036006001"', "未知字段 kode"),
        ('code = "002036006001"', 'code = "00-2036"', "事项编码“00-2036”只能由字母和数字组成"),
        ('id = "t-01"', 'id = "T 01"', "编号“T 01”只能由小写字母、数字和连字符组成"),
        ('levels = ["township"]', 'levels = []', "缺少必填字段 levels"),
        ('levels = ["township"]', 'levels = ["township", "township"]', "受理层级重复"),
        (
            'levels = ["township"]',
            'levels = ["township"]\nstation_types = ["hospital"]',
            "只有医保服务站（station）受理的事项才能填写 station_types",
        ),
        (
            'levels = ["township"]',
            'levels = ["township"]\nlevel_limits = { village = 3 }',
            "level_limits 中的层级 village 不在该事项的受理层级中",
        ),
        ('levels = ["township"]', 'levels = ["township"]\ninferred = ["colour"]', "inferred 含未知字段 colour"),
        ('{ name = "费用发票原件" }', '{ name = "费用发票原件", one_of = "发票" }', "required 应为 false"),
        (
            '{ name = "费用发票原件" }',
            '{ name = "费用发票原件", required = false, one_of = "发票" }',
            "one_of 组“发票”只有一项材料",
        ),
        ('{ name = "费用发票原件" }', '{ title = "费用发票原件" }', "第1项材料缺少 name"),
    ],
)
def test_each_kind_of_item_error_is_reported(catalog_dir, old, new, expected):
    problems = broken(catalog_dir, old, new)
    assert len(problems) >= 1
    assert problems[0].startswith("town.toml:")
    assert any(expected in problem for problem in problems), problems


def test_stage_limits_need_a_total(catalog_dir):
    problems = broken(catalog_dir, 'limit_days = 30\nlimit_text = "不超过30个工作日"\n', "")
    assert any("填写了 stage_limits 就必须填写总时限 limit_days" in p for p in problems)


def test_duplicate_ids_across_files_are_reported_with_both_places(catalog_dir):
    problems = broken(catalog_dir, 'id = "v-01"', 'id = "t-02"', list_id="village")
    assert len(problems) == 1
    assert problems[0].startswith("village.toml:") and "编号重复，已在 town.toml:" in problems[0]


def test_duplicate_rows_in_a_list(catalog_dir):
    problems = broken(catalog_dir, "row = 2", "row = 1")
    assert any("序号 1 在清单 town 中重复" in p for p in problems)


def test_proxy_for_must_name_an_existing_item_of_the_same_region(catalog_dir):
    problems = broken(catalog_dir, 'proxy_for = "t-01"', 'proxy_for = "t-09"', list_id="village")
    assert any("proxy_for 指向不存在的事项 t-09" in p for p in problems)
    (catalog_dir / "village.toml").write_text("", encoding="utf-8")
    write_list(catalog_dir, "village", [VILLAGE_ITEM.format(id="v-01", row=1, proxy_for="t-01")], region="永州市")
    with pytest.raises(CatalogError, match="proxy_for 指向其他地区（丰城市）的事项 t-01"):
        load_catalog(catalog_dir)


def test_every_problem_in_every_file_is_reported_at_once(catalog_dir):
    town = catalog_dir / "town.toml"
    town.write_text(
        town.read_text(encoding="utf-8").replace('category = "待遇报销"', 'category = "杂项"'), encoding="utf-8"
    )
    problems = broken(catalog_dir, 'pattern = "township_review_pay"', 'pattern = "by_fax"', list_id="village")
    assert len(problems) == 3
    assert sum("杂项" in p for p in problems) == 2 and sum("by_fax" in p for p in problems) == 1


def test_toml_syntax_error_names_file_and_line(catalog_dir):
    problems = broken(catalog_dir, "row = 2", "row = = 2")
    lines = (catalog_dir / "town.toml").read_text(encoding="utf-8").splitlines()
    bad_line = lines.index("row = = 2") + 1
    assert problems[0].startswith("town.toml: TOML 语法错误") and f"line {bad_line}," in problems[0]


def test_list_header_is_checked(catalog_dir):
    problems = broken(catalog_dir, 'region = "丰城市"\n', "")
    assert problems[0] == "town.toml:1: [list]: 缺少必填字段 region"


def test_a_list_id_used_twice_is_reported(catalog_dir):
    write_list(catalog_dir, "town-copy", [TOWNSHIP_ITEM.format(id="c-01", row=1)])
    text = (catalog_dir / "town-copy.toml").read_text(encoding="utf-8")
    (catalog_dir / "town-copy.toml").write_text(text.replace('id = "town-copy"', 'id = "town"'), encoding="utf-8")
    with pytest.raises(CatalogError, match="town.toml: 清单编号 town 已在 town-copy.toml 使用"):
        load_catalog(catalog_dir)


def test_broken_vocabulary_is_reported(catalog_dir):
    vocabulary = catalog_dir / VOCABULARY_FILE
    vocabulary.write_text(vocabulary.read_text(encoding="utf-8").replace("[stages]", "[stagez]"), encoding="utf-8")
    with pytest.raises(CatalogError, match="vocabulary.toml"):
        load_catalog(catalog_dir)


@pytest.mark.parametrize(
    "text, days",
    [
        ("即时办结", 0),
        ("当场办结", 0),
        ("20个工作日", 20),
        ("不超过30个工作日", 30),
        ("即时受理，20个工作日内办结", 20),
        ("即时受理, 7个工作日内办结", 7),
        ("即时受理，3个工作日内审核", 3),
    ],
)
def test_limit_text_gives_working_days(text, days):
    assert limit_days_from_text(text) == days


@pytest.mark.parametrize("text", ["尽快", "", "初审5个工作日，复核10个工作日"])
def test_unreadable_limit_text_is_refused(text):
    with pytest.raises(ValueError):
        limit_days_from_text(text)


def test_numbered_materials_with_alternatives():
    materials = materials_from_text("1.《备案表》 2.单位证明 3.居住证明 4.身份证件 第2、3项具备一项即可")
    assert [(m.name, m.required) for m in materials] == [
        ("《备案表》", True),
        ("单位证明", False),
        ("居住证明", False),
        ("身份证件", True),
    ]
    assert materials[1].one_of == materials[2].one_of == "第2、3项"
    assert materials[0].one_of is None


@pytest.mark.parametrize("text", ["1.表 3.证明", "1.表 2.证明 第2、5项具备一项即可", "说明 1.表"])
def test_malformed_materials_are_refused(text):
    with pytest.raises(ValueError):
        materials_from_text(text)


TSV_HEADER = "地区\t清单\t序号\t事项名称\t事项编码\t事项分类\t办理材料\t办理时限\t办理流程\t办理层级\t办理环节"


def tsv(*rows):
    return "\n".join([TSV_HEADER, *rows]) + "\n"


GOOD_ROWS = (
    "丰城市\tfc-import\t1\t门诊费用报销\t002036006001\t待遇报销\t1.费用发票原件 2.费用清单原件\t不超过30个工作日\t申请-受理-移交-审核-拨付-办结\t乡镇（街道）、村（社区）\t收件受理",
    "丰城市\tfc-import\t2\t异地安置退休人员备案\t002036004001\t异地就医备案\t1.备案表 2.单位证明 3.居住证明 第2、3项具备一项即可\t即时办结\t即办\t乡镇\t",
    "丰城市\tfc-import\t3\t单位新增登记\t\t参保登记\t\t\t\t市级、县级\t",
)


def test_tsv_import_happy_path():
    first, second, third = parse_tsv(tsv(*GOOD_ROWS))
    assert (first.id, first.region, first.list_id, first.code) == (
        "fc-import-01",
        "丰城市",
        "fc-import",
        "002036006001",
    )
    assert first.levels == ("township", "village") and first.pattern == "handover_review_pay"
    assert (first.stage, first.limit_days, first.inferred) == ("收件受理", 30, frozenset())
    assert [m.name for m in first.materials] == ["费用发票原件", "费用清单原件"]
    assert first.source.row == 1 and first.source.file == "import.tsv"
    assert (second.pattern, second.stage, second.limit_days) == ("instant", "全部办结", 0)
    assert second.inferred == {"stage"}
    assert [m.required for m in second.materials] == [True, False, False]
    assert (third.pattern, third.levels, third.limit_days, third.code) == (
        "centre_only",
        ("city", "county"),
        None,
        None,
    )
    assert third.inferred == {"pattern", "stage"}


def test_tsv_import_from_a_file_with_byte_order_mark(tmp_path):
    path = tmp_path / "清单.tsv"
    path.write_text("\ufeff" + tsv(GOOD_ROWS[0]), encoding="utf-8")
    (item,) = parse_tsv(path)
    assert item.source.file == "清单.tsv" and item.name == "门诊费用报销"
    assert parse_tsv(str(path)) == [item]


def test_tsv_import_reports_every_bad_row_with_its_line_number():
    rows = (
        GOOD_ROWS[0],
        "丰城市\tfc-import\t2\t住院费用报销\t\t待遇报销\t\t三十天\t申请-受理-移交-审核-拨付-办结\t乡镇\t",
        GOOD_ROWS[1].replace("\t2\t", "\t3\t"),
        "",
        "丰城市\tfc-import\t1\t重复序号\t\t杂项\t\t\t申请-受理-办结\t省级\t",
        "丰城市\tfc-import\tx\t\t\t待遇报销\t\t\t申请-受理-办结\t乡镇\t",
        "丰城市\tfc-import\t7\t查询\t\t查询打印\t\t即时办结\t\t村\t",
    )
    with pytest.raises(CatalogImportError) as raised:
        parse_tsv(tsv(*rows))
    errors = raised.value.errors
    assert sorted({row for row, _ in errors}) == [3, 6, 7, 8]
    reasons = {row: [reason for r, reason in errors if r == row] for row in (3, 6, 7, 8)}
    assert any("无法识别的办理时限“三十天”" in reason for reason in reasons[3])
    assert any("未知的办理层级“省级”" in reason for reason in reasons[6])
    assert any("未知的事项分类“杂项”" in reason for reason in reasons[6])
    assert any("序号 1 与第2行重复" in reason for reason in reasons[6])
    assert any("“事项名称”不能为空" in reason for reason in reasons[7])
    assert any("序号“x”应为正整数" in reason for reason in reasons[7])
    assert reasons[8] == ["乡镇、村或服务站可受理的事项必须填写“办理流程”"]
    assert "第3行：" in str(raised.value)


def test_tsv_row_numbers_count_lines_of_quoted_multiline_cells():
    multiline = '丰城市\tfc-import\t1\t门诊费用报销\t\t待遇报销\t"1.费用发票原件\n2.费用清单原件"\t不超过30个工作日\t申请-受理-移交-审核-拨付-办结\t乡镇\t'
    bad = "丰城市\tfc-import\t2\t住院费用报销\t\t待遇报销\t\t三十天\t申请-受理-移交-审核-拨付-办结\t乡镇\t"
    with pytest.raises(CatalogImportError) as raised:
        parse_tsv(tsv(multiline, bad))
    assert [row for row, _ in raised.value.errors] == [4]


def test_tsv_header_problems_are_reported_on_row_1():
    text = "地区\t清单\t序号\t事项明称\t事项分类\t办理层级\n丰城市\tx\t1\t查询\t查询打印\t乡镇\n"
    with pytest.raises(CatalogImportError) as raised:
        parse_tsv(text)
    assert raised.value.errors == ((1, "表头缺少“事项名称”列"), (1, "表头含未知列“事项明称”"))


def test_tsv_missing_file_is_reported_as_row_0(tmp_path):
    with pytest.raises(CatalogImportError) as raised:
        parse_tsv(tmp_path / "missing.tsv")
    assert raised.value.errors[0][0] == 0 and "找不到文件" in raised.value.errors[0][1]


def test_tsv_import_of_one_region_per_list():
    rows = (GOOD_ROWS[0], GOOD_ROWS[1].replace("丰城市", "永州市"))
    with pytest.raises(CatalogImportError) as raised:
        parse_tsv(tsv(*rows))
    assert raised.value.errors == ((3, "清单 fc-import 的地区应与前面各行一致（丰城市）"),)


def test_items_must_be_tables(catalog_dir):
    text = 'items = ["门诊费用报销"]\n' + HEADER.format(list_id="odd", region="丰城市")
    (catalog_dir / "odd.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=r"odd.toml:2: 事项应写成 \[\[items\]\] 表"):
        load_catalog(catalog_dir)
