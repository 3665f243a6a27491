"""Browser test of an open class taking attendance by QR code, on phone-sized screens.

An organisation department registers a teaching site and the demo mentor schedules a class there with the
``bangdai teaching`` command (in the server's environment, as those users); then, in headless Chromium at
390 × 844, the apprentice enrols on the class's page, the mentor opens the check-in screen with its QR code, the
apprentice opens the code's URL and checks in with one tap, a second tap is refused, and the mentor's check list
shows the apprentice present.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .servers import ARTIFACTS, CHROMIUM, ROOT, App, bangdai, need, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module", autouse=True)
def _chromium():
    need(CHROMIUM.exists(), f"Chromium at {CHROMIUM}")


def demo_mentor(app: App) -> tuple[int, str, str]:
    """The `mentor` account's appointed pool entry: (mentor id, name, home village code)."""
    [(mentor_id, name, village)] = app.query(
        "SELECT m.id, p.name, r.code FROM mentors_mentor m JOIN people_person p ON p.id = m.person_id "
        "JOIN regions_region r ON r.id = m.region_id JOIN accounts_user u ON u.person_id = p.id "
        "WHERE u.username = 'mentor' AND m.status = 'active' ORDER BY m.id LIMIT 1"
    )
    assert len(village) == 12, f"the demo mentor's home is not a village: {village}"
    return mentor_id, name, village


def apprentice_name(app: App) -> str:
    [(name,)] = app.query(
        "SELECT p.name FROM people_person p JOIN accounts_user u ON u.person_id = p.id WHERE u.username = 'apprentice'"
    )
    return name


def other_apprentice(app: App, village: str) -> tuple[int, str]:
    """An active apprentice of the mentor's township other than the `apprentice` account; a name no one shares."""
    rows = app.query(
        "SELECT a.id, p.name FROM apprentices_apprentice a JOIN people_person p ON p.id = a.person_id "
        "JOIN regions_region r ON r.id = a.region_id WHERE r.code LIKE ? AND a.status IN ('eligible', 'paired') "
        "AND p.id NOT IN (SELECT person_id FROM accounts_user WHERE person_id IS NOT NULL) "
        "AND (SELECT count(*) FROM people_person q WHERE q.name = p.name) = 1 ORDER BY a.id LIMIT 1",
        (f"{village[:9]}%",),
    )
    assert rows, "the demo has no other apprentice in the mentor's township"
    return rows[0]


def teaching(app: App, *args: str) -> str:
    return bangdai("teaching", *args, env={**app.env, "BANGDAI_LANGUAGE": "en"}).stdout.decode()


def phone_page(new_context, app: App, username: str) -> Page:
    page = sign_in(new_context(), app, username)
    page.set_viewport_size(PHONE)
    return page


def shot(page: Page, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 20_000, f"{path} is only {path.stat().st_size} bytes"


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px phone"


def test_open_class_takes_attendance_by_qr_code(new_context, app, browser_errors):
    mentor_id, mentor_name, village = demo_mentor(app)
    student = apprentice_name(app)

    # The site and the class, through the command line as the county department and the mentor.
    out = teaching(
        app,
        "sites",
        "add",
        "--name",
        "师说馆现场教学点",
        "--village",
        village,
        "--level",
        "county",
        "--themes",
        "common_prosperity,party_building",
        "--capacity",
        "40",
        "--course",
        "白茶富民之路",
        "--host",
        str(mentor_id),
        "--academy",
        "安吉县乡村振兴学院",
        "--as",
        "anji",
    )
    site_id = int(re.match(r"site (\d+) registered", out).group(1))
    # The demo gives the mentor a class lasting all of today; cancel it so the new one does not clash.
    for (class_id,) in app.query(
        "SELECT id FROM teaching_openclass WHERE mentor_id = ? AND status = 'scheduled' AND ends_at > ?",
        (mentor_id, dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")),
    ):
        teaching(app, "classes", "cancel", str(class_id), "--reason", "改期", "--as", "mentor")
    start = dt.datetime.now() + dt.timedelta(
        minutes=10
    )  # the server runs in Asia/Shanghai; check-in opens now
    out = teaching(
        app,
        "classes",
        "schedule",
        "--mentor",
        str(mentor_id),
        "--site",
        str(site_id),
        "--title",
        "白茶产业现场教学",
        "--start",
        _shanghai(start),
        "--end",
        _shanghai(start + dt.timedelta(hours=2)),
        "--areas",
        "common_prosperity",
        "--capacity",
        "30",
        "--place",
        "村文化礼堂",
        "--as",
        "mentor",
    )
    class_id = int(re.match(r"class (\d+) scheduled", out).group(1))
    other_id, other = other_apprentice(app, village)
    out = teaching(app, "enrol", str(class_id), "--apprentice", str(other_id), "--as", "anji")
    assert "1 enrolled" in out, out

    # The apprentice finds the class among those open to them, and enrols on its page.
    learner = phone_page(new_context, app, "apprentice")
    learner.goto("/teaching/")
    expect(learner.locator(".page-title")).to_have_text("我的开放课堂")
    learner.locator(".mine-open").get_by_role("link", name=re.compile("白茶产业现场教学")).click()
    learner.wait_for_url(re.compile(rf"/teaching/classes/{class_id}/$"))
    with learner.expect_navigation():
        learner.get_by_role("button", name="报名").click()
    expect(learner.locator(".messages .alert-success")).to_contain_text("报名成功")
    expect(learner.locator(".class-seat")).to_contain_text("您已报名")
    no_horizontal_scroll(learner)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    learner.screenshot(path=ARTIFACTS / "open-class-enrolled.png", full_page=True)

    # The mentor opens the check-in screen: the QR code, and the check list with the apprentice not yet present.
    host = phone_page(new_context, app, "mentor")
    host.goto(f"/teaching/classes/{class_id}/")
    host.get_by_role("link", name="签到与点名").click()
    host.wait_for_url(re.compile(rf"/teaching/classes/{class_id}/checklist/$"))
    expect(host.locator(".qr-box svg.checkin-qr")).to_be_visible()
    row = host.locator(".checklist-row", has_text=student)
    expect(row.get_by_role("button", name="点名到场")).to_be_visible()
    checkin_url = host.locator("a.checkin-link").get_attribute("href")
    assert re.fullmatch(rf"{re.escape(app.url)}/teaching/checkin/[\w:-]+/", checkin_url), checkin_url
    no_horizontal_scroll(host)

    # The apprentice scans the code: the URL opens the check-in page, one tap checks them in.
    learner.goto(checkin_url)
    expect(learner.locator(".page-title")).to_have_text("白茶产业现场教学")
    with learner.expect_navigation():
        learner.get_by_role("button", name=f"确认签到（{student}）").click()
    expect(learner.locator(".messages .alert-success")).to_contain_text("签到成功")
    done = learner.locator(".checkin-done")
    expect(done).to_contain_text("已签到")
    expect(done).to_contain_text(student)
    no_horizontal_scroll(learner)
    shot(learner, SCREENSHOTS / "open-class-checkin.png")
    [(attended, method)] = app.query(
        "SELECT e.attended_at, e.check_in_method FROM teaching_enrolment e JOIN accounts_user u "
        "ON u.person_id = e.person_id WHERE u.username = 'apprentice' AND e.open_class_id = ?",
        (class_id,),
    )
    assert attended and method == "scan"

    # A second scan changes nothing and says why.
    learner.goto(checkin_url)
    expect(learner.get_by_role("button", name=re.compile("确认签到"))).to_have_count(0)
    expect(learner.locator(".checkin-done")).to_contain_text("已签到")

    # The mentor's check list now shows the apprentice present, checked in by scanning; the mentor ticks the
    # apprentice without a phone on the list (an htmx request swaps the row).
    host.reload()
    row = host.locator(".checklist-row", has_text=student)
    expect(row).to_have_class(re.compile("is-present"))
    expect(row).to_contain_text("扫码签到")
    other_row = host.locator(".checklist-row", has_text=other)
    other_row.get_by_role("button", name=re.compile("点名到场")).click()
    expect(other_row).to_have_class(re.compile("is-present"))
    expect(other_row).to_contain_text("导师点名")
    expect(host.locator("#checklist-count")).to_have_text("应到 2 人，实到 2 人")
    assert app.query(
        "SELECT check_in_method FROM teaching_enrolment WHERE open_class_id = ? AND apprentice_id = ?",
        (class_id, other_id),
    ) == [("list",)]
    host.screenshot(path=ARTIFACTS / "open-class-checklist.png", full_page=True)
    assert not browser_errors.errors, browser_errors.errors


def _shanghai(moment: dt.datetime) -> str:
    """Local time of the test process as Asia/Shanghai wall-clock time (the server's time zone)."""
    from zoneinfo import ZoneInfo

    return moment.astimezone().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
