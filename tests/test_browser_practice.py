"""Browser tests of everyday practice on the county demo: assignments, compliance with reminders, alliance plans.

In headless Chromium in Chinese, against the shared runserver (conftest.py's ``app``):

1. the `apprentice`, on a 390 × 844 phone, submits an answer (text and a small PNG) to their waiting assignment,
   and the `mentor` finds it submitted and ready for review;
2. `anji` sees 安吉县's pairings falling behind with their reasons, ``bangdai remind`` sends the reminders, and
   the bell and the notifications page show them;
3. `anji` plans alliances for 安吉县 (solved by ``bangdai db_worker --batch``), adopts the proposal and finds the
   alliances forming in the list.
"""

import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from .servers import CHROMIUM, App, bangdai, need, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
COUNTY = "330523"  # 安吉县
WORKER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module", autouse=True)
def _chromium():
    need(CHROMIUM.exists(), f"Chromium at {CHROMIUM}")


def submit(page: Page, button) -> None:
    with page.expect_navigation():
        button.click()


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px phone"


def waiting_assignment(app: App) -> tuple[int, str]:
    """The `apprentice` account's latest assignment still waiting for an answer: (id, title)."""
    rows = app.query(
        "SELECT a.id, a.title FROM assignments_assignment a JOIN pairings_pairing pr ON pr.id = a.pairing_id "
        "JOIN apprentices_apprentice ap ON ap.id = pr.apprentice_id "
        "JOIN accounts_user u ON u.person_id = ap.person_id "
        "WHERE u.username = 'apprentice' AND a.status = 'issued' AND pr.status IN ('active', 'extended') "
        "ORDER BY a.due_on DESC, a.id DESC LIMIT 1"
    )
    assert rows, "the demo gives the apprentice no assignment waiting for an answer"
    return rows[0]


def test_the_apprentice_submits_on_a_phone_and_the_mentor_reviews(new_context, app, tmp_path):
    assignment_id, title = waiting_assignment(app)
    answer = "走访了三户民宿经营户，整理出村集体增收的三条路径：联营分红、闲置农房盘活、研学接待。"
    picture = tmp_path / "survey.png"
    Image.new("RGB", (64, 48), (40, 140, 90)).save(picture, "PNG")

    apprentice = sign_in(new_context(), app, "apprentice")
    apprentice.set_viewport_size(PHONE)
    apprentice.goto("/assignments/")
    link = apprentice.locator(f'a[href="/assignments/{assignment_id}/"]')
    expect(link).to_have_text(title)
    expect(apprentice.locator("tr", has=link).locator(".status-badge").first).to_have_text("已布置")
    link.click()
    apprentice.wait_for_url(re.compile(rf"/assignments/{assignment_id}/$"))
    expect(apprentice.locator(".page-title")).to_contain_text(title)
    expect(apprentice.locator(".assignment-submission .submission-text")).to_have_count(0)
    form = apprentice.locator(f'form[action="/assignments/{assignment_id}/submit/"]')
    form.get_by_label("作业内容").fill(answer)
    form.get_by_label("照片或 PDF 文档").set_input_files(str(picture))
    no_horizontal_scroll(apprentice)
    submit(apprentice, form.get_by_role("button", name="提交作业"))
    apprentice.wait_for_url(re.compile(rf"/assignments/{assignment_id}/$"))
    expect(apprentice.locator(".messages .alert-success")).to_contain_text("已提交，等待导师点评。")
    expect(apprentice.locator(".page-title .status-badge").first).to_have_text("已提交")
    expect(apprentice.locator(".assignment-submission .submission-text")).to_contain_text(answer)
    photo = apprentice.locator(".assignment-submission .submission-photo img")
    expect(photo).to_have_count(1)
    photo.scroll_into_view_if_needed()  # the thumbnail loads lazily
    apprentice.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    no_horizontal_scroll(apprentice)
    assert app.query("SELECT status FROM assignments_assignment WHERE id = ?", (assignment_id,)) == [
        ("submitted",)
    ]

    # The mentor finds it submitted in their list and can review it.
    mentor = sign_in(new_context(), app, "mentor")
    mentor.goto("/assignments/")
    link = mentor.locator(f'a[href="/assignments/{assignment_id}/"]')
    expect(mentor.locator("tr", has=link).locator(".status-badge").first).to_have_text("已提交")
    link.click()
    mentor.wait_for_url(re.compile(rf"/assignments/{assignment_id}/$"))
    expect(mentor.locator(".assignment-submission .submission-text")).to_contain_text(answer)
    review = mentor.locator(f'form[action="/assignments/{assignment_id}/review/"]')
    expect(review).to_be_visible()
    expect(review.get_by_role("button")).to_be_enabled()


def test_the_county_sees_pairings_behind_and_reminders_reach_the_bell(new_context, app):
    anji = sign_in(new_context(), app, "anji")
    anji.goto(f"/compliance/?region={COUNTY}")
    expect(anji.locator(".page-title")).to_contain_text("安吉县")
    rows = anji.locator(".compliance-table tbody tr")
    expect(rows.first).to_be_visible()
    red = rows.filter(has=anji.locator(".compliance-light.light-red"))
    amber = rows.filter(has=anji.locator(".compliance-light.light-amber"))
    expect(red.first).to_contain_text("落后")
    expect(amber.first).to_be_visible()
    expect(red.first.locator(".compliance-reasons .reason-red").first).to_contain_text("：")
    expect(amber.first.locator(".compliance-reasons li").first).not_to_be_empty()

    # The reminders go out, as the daily timer would send them.
    out = bangdai("remind", env=app.env).stdout.decode()
    assert "notifications written" in out, out
    recipient = next(
        (
            name
            for name in ("mentor", "shangshu", "anji")
            if app.query(
                "SELECT count(*) FROM notifications_notification n JOIN accounts_user u ON u.id = n.recipient_id "
                "WHERE u.username = ? AND n.read_at IS NULL",
                (name,),
            )[0][0]
        ),
        None,
    )
    assert recipient, f"bangdai remind reached none of mentor, shangshu, anji:\n{out}"
    [(unread,)] = app.query(
        "SELECT count(*) FROM notifications_notification n JOIN accounts_user u ON u.id = n.recipient_id "
        "WHERE u.username = ? AND n.read_at IS NULL",
        (recipient,),
    )
    [(latest,)] = app.query(
        "SELECT n.title FROM notifications_notification n JOIN accounts_user u ON u.id = n.recipient_id "
        "WHERE u.username = ? ORDER BY n.created_at DESC, n.id DESC LIMIT 1",
        (recipient,),
    )

    page = sign_in(new_context(), app, recipient)
    bell = page.locator("a.notification-bell")
    expect(bell.locator(".notification-count")).to_have_text(str(unread) if unread <= 99 else "99+")
    expect(bell).to_have_attribute("aria-label", re.compile(rf"{unread}\s*条未读"))
    bell.click()
    page.wait_for_url(re.compile(r"/notifications/$"))
    expect(page.locator(".page-title")).to_contain_text(f"{unread}")
    items = page.locator(".notifications .notification-unread")
    expect(items.first).to_be_visible()
    expect(page.locator(".notifications .notification", has_text=latest).first).to_be_visible()


def test_the_county_plans_and_adopts_alliances(new_context, app):
    page = sign_in(new_context(), app, "anji")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/alliances/plans/new/")
    page.locator("#id_area").select_option(COUNTY)
    page.get_by_label("联盟数下限").fill("3")
    page.get_by_label("联盟数上限").fill("3")
    page.get_by_label("每个联盟最多村数").fill("60")  # 145 villages within reach of a hub
    page.locator("#id_time_limit").fill("5")
    submit(page, page.locator("form.bd-form button[type=submit]").last)
    page.wait_for_url(re.compile(r"/alliances/plans/\d+/$"))
    run_id = int(re.search(r"/plans/(\d+)/$", page.url).group(1))

    # A task worker solves the queued plan while the page polls.
    if page.locator("#plan-progress").count():
        bangdai("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0.2", env=app.env)
    expect(page.locator(".plan-figures")).to_be_visible(timeout=WORKER_TIMEOUT_MS)
    expect(page.locator(".plan-figures .stat-value").first).to_have_text("3")

    adopt = page.locator(f'form[action="/alliances/plans/{run_id}/adopt/"]')
    submit(page, adopt.get_by_role("button"))
    expect(page.locator(".alert-success").first).to_be_visible()
    formed = app.query("SELECT name, status FROM alliances_alliance WHERE plan_id = ? ORDER BY id", (run_id,))
    assert [status for _, status in formed] == ["forming"] * 3, formed

    page.goto("/alliances/")
    for name, _ in formed:
        expect(page.locator("table tbody tr", has_text=name).first).to_contain_text("筹建中")
