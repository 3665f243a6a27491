"""Browser test of the activity ledger on phones: the mentor records an activity with a photo and the device's
position in the quick form, and the apprentice confirms it from their to-confirm list.

Both use a 390 × 844 touch screen in headless Chromium with a Chinese locale, against the shared runserver on the
county demo (conftest.py's ``app``). The demo's `mentor` and `apprentice` accounts are the two parties of one
running pairing; the test reads the server's SQLite file to check what was stored and writes nothing to it.
"""

import datetime as dt
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from .servers import CHROMIUM, ROOT, TIMEOUT_MS, App, need, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
POSITION = {"longitude": 119.6205, "latitude": 30.5218, "accuracy": 12}
SCREENSHOT = ROOT / "docs" / "screenshots" / "ledger-phone.png"


@pytest.fixture(scope="module", autouse=True)
def _chromium():
    need(CHROMIUM.exists(), f"Chromium at {CHROMIUM}")


@pytest.fixture
def phone(chromium, app, browser_errors):
    """A factory of phone-sized browser contexts that allow the page to read the device's position."""
    contexts = []

    def open_phone():
        context = chromium.new_context(
            base_url=app.url,
            locale="zh-CN",
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
            geolocation=POSITION,
            permissions=["geolocation"],
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.on("console", browser_errors.on_console)
        context.on("weberror", browser_errors.on_web_error)
        contexts.append(context)
        return context

    yield open_phone
    for context in contexts:
        context.close()
    assert not browser_errors.errors, "browser errors:\n" + "\n".join(browser_errors.errors)


def demo_pairing(app: App) -> tuple[int, str, str]:
    """The running pairing of the demo's `mentor` and `apprentice` accounts: (id, mentor's name, apprentice's)."""
    rows = app.query(
        "SELECT pr.id, mp.name, ap.name FROM pairings_pairing pr "
        "JOIN pairings_pairingmentor pm ON pm.pairing_id = pr.id "
        "JOIN mentors_mentor m ON m.id = pm.mentor_id JOIN people_person mp ON mp.id = m.person_id "
        "JOIN apprentices_apprentice a ON a.id = pr.apprentice_id JOIN people_person ap ON ap.id = a.person_id "
        "WHERE pr.status IN ('active', 'extended') "
        "AND mp.id = (SELECT person_id FROM accounts_user WHERE username = 'mentor') "
        "AND ap.id = (SELECT person_id FROM accounts_user WHERE username = 'apprentice')"
    )
    assert len(rows) == 1, f"the demo's mentor and apprentice should share one running pairing: {rows}"
    return rows[0]


def phone_photo(path) -> None:
    """A phone picture carrying its camera and GPS position in EXIF, which must not be stored."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (30.0, 31.0, 18.0), 3: "E", 4: (119.0, 37.0, 14.0)}
    image = Image.new("RGB", (1600, 1200), (236, 226, 198))
    for x in range(0, 1600, 80):
        image.paste((60 + x // 10, 120, 90), (x, 700, x + 60, 1200))
    image.save(path, "JPEG", exif=exif, quality=90)


def expect_success(page: Page, text: str) -> None:
    expect(page.locator(".messages .alert-success[role=status]")).to_contain_text(text)


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px phone"


def submit(page: Page, button) -> None:
    with page.expect_navigation():
        button.click()


def test_the_mentor_records_on_a_phone_and_the_apprentice_confirms(phone, app, tmp_path):
    pairing_id, mentor_name, apprentice_name = demo_pairing(app)
    before = app.query("SELECT count(*) FROM ledger_activity")[0][0]
    summary = f"到{apprentice_name}所在村走访，一起梳理民宿联营方案，查看村道照明改造现场。"
    picture = tmp_path / "IMG_2041.jpg"
    phone_photo(picture)

    # The mentor opens their ledger and the quick form, which opens filled in.
    mentor = sign_in(phone(), app, "mentor")
    mentor.goto("/ledger/mine/")
    mentor.get_by_role("link", name="记录帮带活动").first.click()
    mentor.wait_for_url(re.compile(r"/ledger/record/"))
    expect(mentor.locator(".page-title")).to_have_text("记录帮带活动")
    form = mentor.locator("form.record-form")
    expect(form.locator(".record-who")).to_contain_text(apprentice_name)
    expect(form.locator(".record-who")).to_contain_text("您以导师身份记录")
    today = dt.date.today()
    assert abs((dt.date.fromisoformat(form.get_by_label("日期").input_value()) - today).days) <= 1
    expect(form.get_by_label("时长（分钟）")).to_have_value("60")
    no_horizontal_scroll(mentor)

    # Taps: 1.5 hours, the method, a second content area, the position; then a sentence, a problem, a photo.
    form.locator("[data-duration-presets]").get_by_role("button", name="1.5h").tap()
    expect(form.get_by_label("时长（分钟）")).to_have_value("90")
    form.locator("label.chip", has_text="把脉巡诊法").tap()
    expect(form.get_by_role("radio", name="把脉巡诊法")).to_be_checked()
    areas = form.locator("fieldset", has_text="帮带内容")
    area = areas.locator("label.chip", has_text="带基层治理促和谐")
    if not areas.get_by_role("checkbox", name="带基层治理促和谐").is_checked():
        area.tap()
    expect(areas.get_by_role("checkbox", name="带基层治理促和谐")).to_be_checked()
    expect(form.get_by_role("checkbox", name=re.compile("现场帮带"))).to_be_checked()
    form.get_by_role("button", name="附上我的当前位置").tap()
    expect(form.locator("[data-location-status]")).to_contain_text("已附上位置")
    form.get_by_label("帮带情况").fill(summary)
    form.get_by_label("解决的问题").fill("民宿联营分红方案\n村道路灯维修")
    form.get_by_label("照片或材料").set_input_files(str(picture))
    expect(form.locator("#file-preview img")).to_have_count(1)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    mentor.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # the sticky save bar rests at the end
    mentor.screenshot(path=SCREENSHOT, full_page=True)
    assert SCREENSHOT.stat().st_size > 30_000

    submit(mentor, form.get_by_role("button", name="保存活动记录"))
    mentor.wait_for_url(re.compile(r"/ledger/\d+/$"))
    activity_id = int(re.search(r"/ledger/(\d+)/$", mentor.url).group(1))
    expect_success(mentor, "已记录，徒弟须在")
    expect(mentor.locator(".page-title")).to_contain_text("把脉巡诊法")
    expect(mentor.locator(".page-title .ledger-badge")).to_have_text("待确认")
    thumbnail = mentor.locator(".evidence img")
    expect(thumbnail).to_have_count(1)
    assert mentor.evaluate("img => img.complete && img.naturalWidth > 0", thumbnail.element_handle())
    no_horizontal_scroll(mentor)

    [(pairing, minutes, method, areas_json, on_site, lng, lat, status, logged_as)] = app.query(
        "SELECT pairing_id, duration_min, method, content_areas, on_site, lng, lat, status, logged_as "
        "FROM ledger_activity WHERE id = ?",
        (activity_id,),
    )
    assert (pairing, minutes, method, status, logged_as) == (
        pairing_id,
        90,
        "diagnostic_visit",
        "recorded",
        "mentor",
    )
    assert "governance_harmony" in areas_json and on_site == 1
    assert (round(lng, 4), round(lat, 4)) == (POSITION["longitude"], POSITION["latitude"])
    assert app.query("SELECT count(*) FROM ledger_activity")[0][0] == before + 1
    [(evidence_id, name, kind)] = app.query(
        "SELECT id, name, kind FROM ledger_evidence WHERE activity_id = ?", (activity_id,)
    )
    assert (name, kind) == ("IMG_2041.jpg", "image")
    stored = mentor.context.request.get(f"/ledger/evidence/{evidence_id}/")
    assert stored.ok and stored.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(stored.body())) as image:
        assert not image.getexif(), "the stored photo still carries EXIF (camera, GPS)"

    # The apprentice finds it in their to-confirm list on their own phone and confirms it with one tap.
    apprentice = sign_in(phone(), app, "apprentice")
    apprentice.goto("/ledger/mine/")
    expect(apprentice.locator(".page-title")).to_have_text("我的台账")
    item = apprentice.locator(".to-confirm .confirm-item", has_text=summary[:12])
    expect(item).to_have_count(1)
    expect(item).to_contain_text(mentor_name)
    expect(item.locator(".thumbs img")).to_have_count(1)
    no_horizontal_scroll(apprentice)
    submit(apprentice, item.get_by_role("button", name="确认"))
    apprentice.wait_for_url(re.compile(r"/ledger/mine/$"))
    expect_success(apprentice, "已确认，谢谢。")
    expect(apprentice.locator(".to-confirm .confirm-item", has_text=summary[:12])).to_have_count(0)
    [(status, confirmed_by)] = app.query(
        "SELECT a.status, u.username FROM ledger_activity a JOIN accounts_user u ON u.id = a.confirmed_by_id "
        "WHERE a.id = ?",
        (activity_id,),
    )
    assert (status, confirmed_by) == ("confirmed", "apprentice")

    # The mentor sees it confirmed, with the confirmation in its history.
    mentor.reload()
    expect(mentor.locator(".page-title .ledger-badge")).to_have_text("已确认")
    expect(mentor.locator(".timeline-list li .fw-medium")).to_have_text(["记录", "对方确认"])
    mentor.goto(f"/ledger/pairing/{pairing_id}/")
    expect(mentor.locator(".ledger-timeline .ledger-entry").first).to_contain_text("已确认")
