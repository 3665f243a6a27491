"""The jurisdiction tree: the shipped divisions, abolished units, village imports (service and CLI), region pages."""

import csv
import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bangdai.regions import services
from bangdai.regions.choices import Kind, Level
from bangdai.regions.models import Region

from .factories import region

pytestmark = pytest.mark.django_db

HEADER = "code,name,parent_code,kind,lng,lat\n"


def shipped_rows() -> list[dict[str, str]]:
    with open(services.divisions_path(), encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def assert_tree_sound() -> None:
    """treebeard's own consistency check: paths, depths and numchild all agree."""
    problems = Region.objects.find_problems()
    assert all(not ids for ids in problems), problems


def codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


# ---------------------------------------------------------------- the shipped tree


def test_shipped_tree_has_the_official_counts():
    current = Region.objects.current()
    assert current.filter(depth=Level.PROVINCE).count() == 1
    assert current.filter(depth=Level.CITY).count() == 11
    assert current.filter(depth=Level.COUNTY).count() == 90
    assert current.filter(depth=Level.TOWNSHIP).count() == 1365


def test_shipped_tree_kinds():
    def kinds(depth):
        return Counter(Region.objects.current().filter(depth=depth).values_list("kind", flat=True))

    assert kinds(Level.PROVINCE) == {Kind.PROVINCE: 1}
    assert kinds(Level.CITY) == {Kind.PREFECTURE_CITY: 11}
    assert kinds(Level.COUNTY) == {
        Kind.DISTRICT: 37,
        Kind.COUNTY: 32,
        Kind.COUNTY_CITY: 20,
        Kind.AUTONOMOUS_COUNTY: 1,
    }
    assert kinds(Level.TOWNSHIP) == {
        Kind.TOWN: 619,
        Kind.SUBDISTRICT: 489,
        Kind.TOWNSHIP: 243,
        Kind.ETHNIC_TOWNSHIP: 14,
    }


def test_shipped_tree_is_consistent_and_codes_nest():
    assert_tree_sound()
    by_path = {r.path: r for r in Region.objects.current()}
    prefix = {Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6, Level.TOWNSHIP: 9}
    code_length = {Level.PROVINCE: 6, Level.CITY: 6, Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12}
    for node in by_path.values():
        assert len(node.code) == code_length[node.depth], node.code
        if node.depth == Level.PROVINCE:
            continue
        parent = by_path[node.path[:-5]]
        assert parent.depth == node.depth - 1
        assert node.code.startswith(parent.code[: prefix[parent.depth]]), (node.code, parent.code)


def test_counties_and_cities_have_centroids():
    for r in Region.objects.current().filter(depth__in=[Level.CITY, Level.COUNTY]):
        assert r.lng is not None and 117.5 <= r.lng <= 123.5, r.code
        assert r.lat is not None and 26.5 <= r.lat <= 31.8, r.code


def test_path_of_shangshu_and_the_test_village():
    township = region("330523205")
    assert township.name == "上墅乡"
    assert township.kind == Kind.TOWNSHIP
    assert [r.name for r in township.lineage()] == ["浙江省", "湖州市", "安吉县", "上墅乡"]
    village = region("330523205202")
    with CaptureQueriesContext(connection) as ctx:
        full_name = village.full_name
    assert full_name == "浙江省 › 湖州市 › 安吉县 › 上墅乡 › 刘家塘村"
    assert len(ctx) == 1  # one query for the whole lineage
    assert [r.code for r in village.lineage()] == ["330000", "330500", "330523", "330523205", "330523205202"]
    assert village.level == Level.VILLAGE


def test_subtree_queries_match_the_codes():
    rows = shipped_rows()
    huzhou = region("330500")
    anji = region("330523")
    expected_counties = {r["code"] for r in rows if r["parent_code"] == "330500"}
    assert codes(Region.objects.in_subtree(huzhou.path).filter(depth=Level.COUNTY)) == expected_counties
    expected_townships = {r["code"] for r in rows if r["parent_code"] == "330523"}
    assert "330523205" in expected_townships
    assert codes(Region.objects.in_subtree(anji.path).filter(depth=Level.TOWNSHIP)) == expected_townships
    # The test villages of 安吉县 are inside, 德清县's are not; the root itself is included.
    villages = codes(Region.objects.in_subtree(anji.path).filter(depth=Level.VILLAGE))
    assert villages == {"330523205201", "330523205202", "330523105201"}
    assert anji.code in codes(Region.objects.in_subtree(anji.path))
    # Every county's subtree by path range equals its subtree by code prefix (current units).
    for county in Region.objects.current().filter(depth=Level.COUNTY):
        by_path = codes(Region.objects.current().in_subtree(county.path))
        by_code = codes(Region.objects.current().filter(code__startswith=county.code))
        assert by_path == by_code, county.code


def test_load_divisions_is_idempotent():
    before = Region.objects.count()
    result = services.load_divisions()
    assert (result.created, result.updated) == (0, 0)
    assert Region.objects.count() == before
    assert services.load_abolished() == 0
    assert Region.objects.count() == before
    assert_tree_sound()


def test_load_divisions_updates_a_renamed_unit(tmp_path):
    rows = shipped_rows()
    for row in rows:
        if row["code"] == "330523205":
            row["name"] = "上墅乡（改）"
    path = tmp_path / "divisions.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = Region.objects.count()
    result = services.load_divisions(path)
    assert (result.created, result.updated) == (0, 1)
    assert Region.objects.count() == before
    assert region("330523205").name == "上墅乡（改）"
    # Its villages are untouched and still under it.
    assert region("330523205202").full_name.endswith("上墅乡（改） › 刘家塘村")


# ---------------------------------------------------------------- abolished units


def test_abolished_district_is_kept_with_its_dates():
    jianggan = Region.objects.get(code="330104")
    assert jianggan.name == "江干区"
    assert jianggan.valid_to == dt.date(2021, 4, 9)
    assert not jianggan.is_current
    assert jianggan.path[:-5] == region("330100").path  # under 杭州市
    assert not Region.objects.current().filter(code="330104").exists()
    hangzhou_children = codes(
        Region.objects.current().in_subtree(region("330100").path).filter(depth=Level.COUNTY)
    )
    assert "330104" not in hangzhou_children
    assert "330103" not in hangzhou_children


def test_abolished_units_excluded_from_current_lists(client, world):
    client.force_login(world.province_admin)
    listed = client.get("/api/regions/", {"parent": "330100", "page_size": 100}).json()
    assert "330104" not in {r["code"] for r in listed["results"]}
    assert "330102" in {r["code"] for r in listed["results"]}  # 上城区, current
    with_history = client.get(
        "/api/regions/", {"parent": "330100", "include_abolished": "true", "page_size": 100}
    )
    jianggan = [r for r in with_history.json()["results"] if r["code"] == "330104"]
    assert jianggan and jianggan[0]["valid_to"] == "2021-04-09"
    lookup = client.get("/regions/lookup/", {"q": "江干"}).json()
    assert lookup["results"] == []
    assert client.get("/regions/lookup/", {"q": "上城"}).json()["results"]


def test_abolished_unit_shown_on_its_own_page_and_its_parents(client, world):
    client.force_login(world.province_admin)
    response = client.get("/regions/330104/")
    assert response.status_code == 200
    assert response.context["region"].code == "330104"
    assert response.context["region"].valid_to == dt.date(2021, 4, 9)
    assert "江干区" in response.content.decode()
    parent = client.get("/regions/330100/")
    assert parent.status_code == 200
    assert {r.code for r in parent.context["abolished"]} == {"330103", "330104"}
    assert "330104" not in {row.region.code for row in parent.context["rows"]}
    assert "江干区" in parent.content.decode()
    detail = client.get("/api/regions/330104/").json()
    assert detail["valid_to"] == "2021-04-09" and detail["parent_code"] == "330100"


# ---------------------------------------------------------------- village import


def csv_text(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


GOOD = csv_text(
    "330523205203,施阮村,330523205,村,119.61,30.51",
    "330523205204,田垓村,330523205,,119.63,30.49",
    "330523205001,上墅社区,330523205,社区,,",
    "330521002202,三桥村,330521002,村,119.95,30.53",
)


def test_import_villages_creates_rows_under_their_townships():
    shangshu = region("330523205")
    wukang = region("330521002")
    before_children = (shangshu.numchild, wukang.numchild)
    report = services.import_villages_csv(GOOD.encode("utf-8-sig"), source="t")
    assert report.ok and (report.rows, report.created, report.updated) == (4, 4, 0)
    shangshu.refresh_from_db()
    wukang.refresh_from_db()
    assert (shangshu.numchild, wukang.numchild) == (before_children[0] + 3, before_children[1] + 1)
    for code, parent in [
        ("330523205203", shangshu),
        ("330523205204", shangshu),
        ("330523205001", shangshu),
        ("330521002202", wukang),
    ]:
        node = region(code)
        assert node.depth == Level.VILLAGE
        assert node.path[:-5] == parent.path and len(node.path) == len(parent.path) + 5
        assert node.source == "t"
    assert region("330523205204").kind == Kind.VILLAGE  # inferred from the 2xx range
    assert region("330523205001").kind == Kind.COMMUNITY
    assert region("330523205001").lng is None
    assert region("330523205203").lng == pytest.approx(119.61)
    assert region("330521002202").full_name == "浙江省 › 湖州市 › 德清县 › 武康街道 › 三桥村"
    # Paths are new, unique and the tree stays sound.
    assert (
        len(set(Region.objects.filter(depth=5).values_list("path", flat=True)))
        == Region.objects.filter(depth=5).count()
    )
    assert_tree_sound()
    assert {c.code for c in Region.objects.get_children(shangshu)} >= {
        "330523205201",
        "330523205202",
        "330523205203",
        "330523205204",
        "330523205001",
    }


def test_reimport_updates_instead_of_duplicating():
    services.import_villages_csv(GOOD)
    count = Region.objects.count()
    numchild = region("330523205").numchild
    again = GOOD.replace("施阮村", "施阮新村")
    report = services.import_villages_csv(again)
    assert (report.created, report.updated) == (0, 4)
    assert Region.objects.count() == count
    assert Region.objects.filter(code="330523205203").count() == 1
    assert region("330523205203").name == "施阮新村"
    assert region("330523205").numchild == numchild
    assert_tree_sound()


def test_reimport_of_the_test_villages_updates_them():
    path = region("330523205202").path
    report = services.import_villages_csv(csv_text("330523205202,刘家塘新村,330523205,村,119.60,30.50"))
    assert (report.created, report.updated) == (0, 1)
    node = region("330523205202")
    assert node.name == "刘家塘新村" and node.path == path


BAD_FILES = {
    "short code": (
        csv_text("330523205203,施阮村,330523205,村,119.61,30.51", "33052320520,坏村,330523205,村,,"),
        3,
        "code",
    ),
    "letters in code": (csv_text("33052320520A,坏村,330523205,村,,"), 2, "code"),
    "suffix out of range": (csv_text("330523205400,坏村,330523205,村,,"), 2, "code"),
    "unknown parent": (
        csv_text("330523205203,施阮村,330523205,村,119.61,30.51", "330523999201,坏村,330523999,村,,"),
        3,
        "parent_code",
    ),
    "duplicate code": (
        csv_text("330523205203,施阮村,330523205,村,119.61,30.51", "330523205203,施阮二村,330523205,村,,"),
        3,
        "code",
    ),
    "not under its parent": (
        csv_text("330523205203,施阮村,330523205,村,119.61,30.51", "330523105203,坏村,330523205,村,,"),
        3,
        "code",
    ),
    "longitude not a number": (csv_text("330523205203,施阮村,330523205,村,abc,30.51"), 2, "lng"),
    "latitude outside Zhejiang": (csv_text("330523205203,施阮村,330523205,村,119.61,45.0"), 2, "lat"),
    "kind not a village": (csv_text("330523205203,施阮村,330523205,镇,119.61,30.51"), 2, "kind"),
    "missing name": (csv_text("330523205203,,330523205,村,119.61,30.51"), 2, "name"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_village_file_is_refused_whole(case):
    text, row, column = BAD_FILES[case]
    count = Region.objects.count()
    numchild = region("330523205").numchild
    with pytest.raises(services.VillageImportError) as raised:
        services.import_villages_csv(text)
    report = raised.value.report
    assert not report.ok
    assert (row, column) in {(e.row, e.column) for e in report.errors}, report.errors
    assert all(e.message for e in report.errors)
    assert Region.objects.count() == count
    assert not Region.objects.filter(code="330523205203").exists()
    assert region("330523205").numchild == numchild


def test_duplicate_report_names_the_first_row():
    text, _row, _col = BAD_FILES["duplicate code"]
    with pytest.raises(services.VillageImportError) as raised:
        services.import_villages_csv(text)
    (error,) = raised.value.report.errors
    assert error.row == 3 and "2" in error.message


def test_every_bad_row_is_reported():
    text = csv_text(
        "330523205203,施阮村,330523205,村,119.61,30.51",
        "bad,坏村,330523205,村,,",
        "330523205204,田垓村,330523999,村,,",
        "330523205205,罗村,330523205,村,500,30.5",
    )
    with pytest.raises(services.VillageImportError) as raised:
        services.import_villages_csv(text)
    report = raised.value.report
    assert report.rows == 4
    assert {(e.row, e.column) for e in report.errors} == {(3, "code"), (4, "parent_code"), (5, "lng")}


def test_file_without_required_columns_is_refused():
    with pytest.raises(services.VillageImportError) as raised:
        services.import_villages_csv("code,name\n330523205203,施阮村\n")
    assert [(e.row, e.column) for e in raised.value.report.errors] == [(1, "parent_code")]


def test_cli_imports_a_good_file(tmp_path):
    path = tmp_path / "villages.csv"
    path.write_text(GOOD, encoding="utf-8")
    out = io.StringIO()
    call_command("regions", "import-villages", str(path), stdout=out)
    assert "4" in out.getvalue()
    assert region("330523205203").name == "施阮村"
    assert region("330521002202").path[:-5] == region("330521002").path
    out = io.StringIO()
    call_command("regions", "import-villages", str(path), stdout=out)
    assert Region.objects.filter(code="330523205203").count() == 1


def test_cli_refuses_a_bad_file_with_a_row_report(tmp_path):
    path = tmp_path / "villages.csv"
    path.write_text(BAD_FILES["unknown parent"][0], encoding="utf-8")
    count = Region.objects.count()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("regions", "import-villages", str(path), stderr=err)
    assert "row 3, parent_code" in err.getvalue()
    assert Region.objects.count() == count


def test_cli_missing_file(tmp_path):
    with pytest.raises(CommandError):
        call_command("regions", "import-villages", str(tmp_path / "nope.csv"))


# ---------------------------------------------------------------- region pages


def test_region_page_shows_path_children_and_counts(client, world):
    client.force_login(world.county_admin_a)
    response = client.get("/regions/330523205/")
    assert response.status_code == 200
    html = response.content.decode()
    assert [r.name for r in response.context["lineage"]] == ["浙江省", "湖州市", "安吉县", "上墅乡"]
    positions = [html.index(name) for name in ("浙江省", "湖州市", "安吉县")]
    assert positions == sorted(positions)
    rows = {row.region.code: row for row in response.context["rows"]}
    assert set(rows) == {"330523205201", "330523205202"}
    assert rows["330523205201"].cadres == 2  # 张上墅, 吴徒弟
    assert rows["330523205202"].cadres == 1  # 陈导师
    total = response.context["total"]
    assert (total.villages, total.communities, total.cadres) == (2, 0, 3)
    assert "上墅村" in html and "刘家塘村" in html


def test_village_page_shows_the_full_path(client, world):
    client.force_login(world.township_a)
    response = client.get("/regions/330523205202/")
    assert response.status_code == 200
    assert [r.name for r in response.context["lineage"]] == [
        "浙江省",
        "湖州市",
        "安吉县",
        "上墅乡",
        "刘家塘村",
    ]
    html = response.content.decode()
    assert all(name in html for name in ("浙江省", "湖州市", "安吉县", "上墅乡", "刘家塘村"))


def test_county_page_counts_townships(client, world):
    client.force_login(world.county_admin_a)
    response = client.get("/regions/330523/")
    rows = {row.region.code: row for row in response.context["rows"]}
    expected = {r["code"] for r in shipped_rows() if r["parent_code"] == "330523"}
    assert set(rows) == expected
    assert rows["330523205"].villages == 2
    assert rows["330523105"].villages == 1
    assert response.context["total"].townships == len(expected)
    assert response.context["total"].cadres == 5 - 1  # 王武康 is in 德清县


def test_region_page_outside_scope_is_404(client, world):
    client.force_login(world.county_admin_b)
    assert client.get("/regions/330523205/").status_code == 404
    assert client.get("/regions/330521002/").status_code == 200
