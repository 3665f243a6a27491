"""Real browser tests: headless Chromium (Debian's) driven by Playwright against ``bangdai runserver``.

The server runs in its own process on a temporary SQLite database built with ``bangdai migrate`` and
``bangdai demo --scale county`` (安吉县 and 德清县), so nothing here touches the test database that the other
modules share. Every test also fails on a browser console error or an uncaught script error: a
Content-Security-Policy violation shows up there.
"""

import re
import struct
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .servers import ARTIFACTS, CHROMIUM, need, sign_in

pytestmark = pytest.mark.browser

# The fixtures (app: the shared runserver on the demo database, chromium, new_context, browser_errors) are in
# conftest.py, so every browser test module shares one server.

MASKED_ID = re.compile(r"\d{4}\*{10}[\dX]{4}")
FULL_ID = re.compile(r"(?<![\d*])\d{17}[\dX](?![\d*])")
CHART_IDLE = """() => {
  const el = document.querySelector("[data-chart][data-chart-ready]");
  const chart = el && window.echarts && window.echarts.getInstanceByDom(el);
  return Boolean(chart) && chart.getZr().animation.isFinished();
}"""

# username: (county name, county code, one of its townships)
COUNTIES = {
    "anji": ("安吉县", "330523", "上墅乡"),
    "deqing": ("德清县", "330521", "武康街道"),
}


@pytest.fixture(scope="module", autouse=True)
def _chromium():
    need(CHROMIUM.exists(), f"Chromium at {CHROMIUM}")


def result_count(page: Page) -> int:
    """The total of the cadre table as its header shows it (共 1,095 条结果 / 1,095 results)."""
    text = page.locator("#table-area .card-header").first.inner_text()
    match = re.search(r"(\d[\d,]*)", text)
    assert match, f"no count in {text!r}"
    return int(match.group(1).replace(",", ""))


def column(page: Page, header: str) -> list[str]:
    """The visible texts of one column of the cadre table, found by its header."""
    headers = [h.strip() for h in page.locator("#table-area thead th").all_inner_texts()]
    assert header in headers, f"no column {header!r} in {headers}"
    index = headers.index(header) + 1
    return [t.strip() for t in page.locator(f"#table-area tbody tr td:nth-child({index})").all_inner_texts()]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


# ---------------------------------------------------------------------------------------------- tests


def test_county_admins_see_only_their_own_county(new_context, app, browser_errors):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen = {}
    for username, (county, _code, township) in COUNTIES.items():
        page = sign_in(new_context(), app, username)
        expect(page.locator(".page-title")).to_contain_text(county)
        townships = [
            t.strip() for t in page.locator("main table tbody tr td:first-child a").all_inner_texts()
        ]
        assert township in townships
        total = int(page.locator(".stat-cards a.card-link .stat-value").inner_text().replace(",", ""))

        expect(page.locator("[data-chart][data-chart-ready] canvas")).to_be_visible()
        page.wait_for_function(CHART_IDLE)  # ECharts animates its series for a second: wait for the end
        shot = ARTIFACTS / f"home-{username}.png"
        shot.unlink(missing_ok=True)
        page.screenshot(path=shot, full_page=True)
        width, height = png_size(shot)
        assert shot.stat().st_size > 30_000, f"{shot} is only {shot.stat().st_size} bytes"
        assert width == 1280 and height > 800, f"{shot} is {width}×{height}: not the full page"

        page.goto("/cadres/")
        count = result_count(page)
        expect(page.locator("#table-area .card-header")).to_contain_text(re.compile(r"共 [\d,]+ 条结果"))
        assert count == total, "the cadre list and the overview disagree"
        first = page.locator("#table-area tbody tr td:first-child a").first.get_attribute("href")
        # Without the region filter (全部可见区域) the list is bounded by the account's scope alone; both ends
        # of it, sorted by region, stay in the county.
        regions = set()
        for sort in ("region", "-region"):
            page.goto(f"/cadres/?region=&sort={sort}")
            expect(page.locator("#filter-form")).to_contain_text("全部可见区域")
            assert result_count(page) == count
            regions |= set(column(page, "任职区域"))
        seen[username] = {
            "page": page,
            "townships": townships,
            "count": count,
            "regions": regions,
            "cadre": first,
        }

    for username, (county, code, township) in COUNTIES.items():
        other = next(name for name in COUNTIES if name != username)
        other_county, other_code, other_township = COUNTIES[other]
        mine, theirs = seen[username], seen[other]
        assert other_township not in mine["townships"]
        assert not set(mine["townships"]) & set(theirs["townships"])
        own_names = app.region_names(code)
        assert mine["regions"] <= own_names, f"{username} sees cadres outside {county}"
        assert mine["regions"] - app.region_names(other_code), "every region name is also in the other county"
        assert mine["count"] != theirs["count"]

        page = mine["page"]
        page.goto("/")
        body = page.locator("body").inner_text()
        assert county in body and other_county not in body
        assert township in body and other_township not in body

        # The other county's cadre, its cadre list and its region page, opened directly, are the 404 page
        # (not a 403 that would confirm they exist).
        for path in (theirs["cadre"], f"/cadres/?region={other_code}", f"/regions/{other_code}/"):
            url = f"{app.url}{path}"
            browser_errors.expected_404.add(url)
            response = page.goto(url)
            assert response.status == 404, path
            error_page = page.locator(".error-page")
            expect(error_page).to_contain_text("404")
            expect(error_page).to_contain_text("页面不存在")
            expect(error_page).to_contain_text("不在您可查看的行政区划范围内")
            expect(page.locator("#table-area")).to_have_count(0)
        # Its own cadre opens.
        response = page.goto(mine["cadre"])
        assert response.status == 200
        expect(page.get_by_role("list", name="任职区域")).to_contain_text(county)


def test_mentor_sees_only_their_own_record_masked(new_context, app):
    page = sign_in(new_context(), app, "mentor")
    me = page.locator(".user-menu-name .d-block").first.inner_text().strip()  # the person's name
    page.goto("/cadres/")
    assert result_count(page) == 1
    rows = page.locator("#table-area tbody tr")
    expect(rows).to_have_count(1)
    assert column(page, "姓名") == [me]
    [masked] = column(page, "身份证号")
    assert MASKED_ID.fullmatch(masked), masked

    rows.first.get_by_role("link", name=me).click()
    page.wait_for_url(re.compile(r"/cadres/\d+/$"))
    expect(page.locator(".page-title")).to_contain_text(me)
    id_number = page.locator("#reveal-id_number .font-monospace").inner_text().strip()
    assert MASKED_ID.fullmatch(id_number), f"ID number shown as {id_number!r}"
    assert id_number == masked
    assert not FULL_ID.search(page.locator("body").inner_text()), "a full ID number is on the page"


def test_language_switch(new_context, app):
    # A browser asking for a language the app does not offer gets the default, Chinese (the login form's
    # Chinese labels already prove it for the sign-in page).
    context = new_context(locale="fr-FR")
    page = sign_in(context, app, "shangshu")
    nav = page.locator("#sidebar-menu .nav-link-title")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(nav).to_contain_text(["概览", "行政区划", "干部"])

    page.goto("/cadres/")
    with page.expect_navigation():
        page.locator(".topbar").get_by_label("语言").select_option("en")
    assert page.url == f"{app.url}/cadres/"  # back where the switch was made
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav).to_contain_text(["Overview", "Jurisdictions", "Cadres"])
    expect(page.locator(".page-title")).to_have_text("Cadres")
    expect(page.locator("#table-area .card-header")).to_contain_text("results")
    assert "干部" not in nav.all_inner_texts()

    page.goto("/")  # the choice sticks to the next page
    expect(nav).to_contain_text(["Overview", "Jurisdictions", "Cadres"])
    expect(page.locator(".page-pretitle")).to_have_text("Overview")

    with page.expect_navigation():
        page.locator(".topbar").get_by_label("Language").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(nav).to_contain_text(["概览", "行政区划", "干部"])
    expect(page.locator(".page-pretitle")).to_have_text("概览")


def _invalid_id_number() -> tuple[str, str]:
    from stdnum.cn import ric

    body = "33052319960504002"  # 安吉县, born 1996-05-04, a woman
    right = ric.calc_check_digit(body + "0")  # the function ignores the last character
    wrong = next(c for c in "0123456789X" if c != right)
    return body + wrong, body + right


def test_invalid_id_number_is_refused_inline(new_context, app):
    page = sign_in(new_context(), app, "anji")
    page.goto("/cadres/")
    before = result_count(page)

    name = "浏览器测试"
    bad_id, _good_id = _invalid_id_number()
    page.goto("/cadres/new/")
    page.locator("#id_name").fill(name)
    page.locator("#id_gender").select_option("F")
    page.locator("#id_birth_date").fill("1996-05-04")
    page.locator("#id_id_number").fill(bad_id)
    page.locator("#id_political_status").select_option("party_member")
    page.locator("#id_education").select_option("bachelor")
    page.locator("#id_position").select_option("committee_member")
    page.locator("#id_cadre_type").select_option("village_cadre")
    page.locator("#id_entry_date").fill("2020-07-01")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()

    assert page.url == f"{app.url}/cadres/new/"  # not redirected to a new record
    expect(page.locator(".alert-danger")).to_contain_text("请修正以下错误。")
    errors = page.locator(".bd-field.has-error")
    expect(errors).to_have_count(1)  # everything else was valid: the ID number alone is refused
    field = page.locator(".bd-field", has=page.locator("#id_id_number"))
    expect(field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(field.locator(".invalid-feedback")).to_be_visible()
    expect(field.locator(".invalid-feedback")).to_have_text("身份证号校验位有误。")
    expect(page.locator("#id_name")).to_have_value(name)  # the form keeps what was typed

    page.goto("/cadres/")
    assert result_count(page) == before
    page.goto(f"/cadres/?q={name}")
    assert result_count(page) == 0
    expect(page.locator("#table-area")).to_contain_text("共 0 条结果")


def test_wrong_password_shows_a_chinese_error(new_context, app):
    page = new_context().new_page()
    page.goto("/login/")
    page.get_by_label("用户名").fill("shangshu")
    page.get_by_label("密码").fill("not-the-password")
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.url == f"{app.url}/login/"
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("请输入一个正确的用户名和密码")
    assert re.search(r"[\u4e00-\u9fff]", alert.inner_text())
    expect(page.get_by_label("密码")).to_have_value("")  # the password is not sent back
    expect(page.locator("#sidebar-menu")).to_have_count(0)  # not signed in
    page.goto("/")
    page.wait_for_url(re.compile(r"/login/\?next=/$"))
