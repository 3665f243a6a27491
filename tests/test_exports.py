"""Exports of the cadre list: the list's filters and scope, masked personal data, formula escaping, xlsx read-back."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from bangdai.core.exports import escape_cell
from bangdai.people.models import Person

from .factories import PersonFactory, region

pytestmark = pytest.mark.django_db

NAME_COLUMN, ID_COLUMN, PHONE_COLUMN, REGION_COLUMN, ORG_COLUMN = 0, 3, 4, 5, 7


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value  # no cell is a formula
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, bool):
        return str(value)
    return str(value)


def body(rows):
    return rows[1:]


def export(client, fmt, **params):
    return client.get("/cadres/", {**params, "export": fmt})


@pytest.fixture
def hostile(world):
    return [
        PersonFactory(name='=HYPERLINK("http://x.cn","y")', org_unit="+1", region=region("330523205202")),
        PersonFactory(name="@SUM(A1)", org_unit="-2+3", region=region("330523205202")),
        PersonFactory(name="＝全角", org_unit="\t=1", region=region("330523205202")),
    ]


def test_csv_follows_the_scope(client, world):
    client.force_login(world.county_admin_a)
    rows = csv_rows(export(client, "csv"))
    assert len(rows[0]) == 13
    names = {r[NAME_COLUMN] for r in body(rows)}
    assert names == {"张上墅", "李孝丰", "陈导师", "吴徒弟"}
    client.force_login(world.township_a)
    assert {r[NAME_COLUMN] for r in body(csv_rows(export(client, "csv")))} == {"张上墅", "陈导师", "吴徒弟"}
    client.force_login(world.auditor)
    assert {r[NAME_COLUMN] for r in body(csv_rows(export(client, "csv")))} == {
        "张上墅",
        "李孝丰",
        "陈导师",
        "吴徒弟",
        "王武康",
    }
    client.force_login(world.mentor)
    assert {r[NAME_COLUMN] for r in body(csv_rows(export(client, "csv")))} == {"陈导师"}


def test_csv_follows_the_filters(client, world):
    client.force_login(world.county_admin_a)
    rows = body(csv_rows(export(client, "csv", region="330523205")))
    assert {r[NAME_COLUMN] for r in rows} == {"张上墅", "陈导师", "吴徒弟"}
    assert {r[REGION_COLUMN] for r in rows} == {"330523205201", "330523205202"}
    rows = body(csv_rows(export(client, "csv", q="导师")))
    assert [r[NAME_COLUMN] for r in rows] == ["陈导师"]
    rows = body(csv_rows(export(client, "csv", q=world.cadre_a2.id_number)))
    assert [r[NAME_COLUMN] for r in rows] == ["李孝丰"]
    Person.objects.filter(pk=world.cadre_a.pk).update(gender="F")
    rows = body(csv_rows(export(client, "csv", gender="F")))
    assert [r[NAME_COLUMN] for r in rows] == ["张上墅"]


def test_export_filter_outside_scope_is_404(client, world):
    client.force_login(world.county_admin_b)
    assert export(client, "csv", region="330523").status_code == 404
    assert export(client, "xlsx", region="330523205").status_code == 404


def test_export_needs_login(client, world):
    response = export(client, "csv")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_exports_mask_personal_data(client, world):
    client.force_login(world.province_admin)
    rows = body(csv_rows(export(client, "csv")))
    xrows = body(xlsx_rows(export(client, "xlsx")))
    assert len(rows) == len(xrows) == 5
    people = {p.name: p for p in Person.objects.all()}
    for row in rows + [[as_text(v) for v in r] for r in xrows]:
        person = people[row[NAME_COLUMN]]
        assert row[ID_COLUMN] == person.id_number_masked
        assert row[ID_COLUMN][4:14] == "*" * 10
        assert row[PHONE_COLUMN] == person.phone_masked
        assert row[PHONE_COLUMN][3:7] == "****"
        flat = ",".join(row)
        assert person.id_number not in flat and person.phone not in flat


def test_csv_escapes_formulas(client, world, hostile):
    client.force_login(world.county_admin_a)
    rows = body(csv_rows(export(client, "csv", region="330523205202")))
    by_org = {r[ORG_COLUMN]: r[NAME_COLUMN] for r in rows}
    assert by_org["'+1"] == '\'=HYPERLINK("http://x.cn","y")'
    assert by_org["'-2+3"] == "'@SUM(A1)"
    assert by_org["'\t=1"] == "'＝全角"
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "＝")), cell


def test_xlsx_reads_back_the_same_rows_as_csv(client, world, hostile):
    client.force_login(world.county_admin_a)
    from_csv = csv_rows(export(client, "csv"))
    from_xlsx = [[as_text(v) for v in row] for row in xlsx_rows(export(client, "xlsx"))]
    assert from_xlsx[0] == from_csv[0]
    assert sorted(from_xlsx[1:]) == sorted(from_csv[1:])
    assert len(from_xlsx) == 1 + 4 + 3
    names = {r[NAME_COLUMN] for r in from_xlsx[1:]}
    assert '\'=HYPERLINK("http://x.cn","y")' in names and "王武康" not in names


def test_xlsx_follows_the_filters(client, world):
    client.force_login(world.county_admin_a)
    rows = body(xlsx_rows(export(client, "xlsx", region="330523105")))
    assert [r[NAME_COLUMN] for r in rows] == ["李孝丰"]
    assert rows[0][2] == dt.datetime.combine(world.cadre_a2.birth_date, dt.time())


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("＝1", "'＝1"),
        ("上墅村", "上墅村"),
        ("1-2", "1-2"),
        ("", ""),
        (5, 5),
        (None, None),
    ],
)
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected
