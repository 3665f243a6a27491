"""Browser test of matching: the 安吉县 admin runs a match, reviews it (map, scores, explanations, the unpaired and
what would pair them), removes a pair and re-runs, accepts, and finds the pairings proposed.

It drives the shared runserver on the county demo (conftest.py's ``app``) through headless Chromium in Chinese.
Runs are solved by a task worker: the test runs ``bangdai db_worker --batch`` beside the server while the page
polls, as a worker process would in production. Other browser tests pair an apprentice of 上墅乡 with the demo
mentor on the same server, so the run that is accepted covers another township of the county.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from .servers import ARTIFACTS, ROOT, App, bangdai, sign_in
from .test_browser_pool import COUNTY, programme_of, submit

pytestmark = pytest.mark.browser

SCREENSHOT = ROOT / "docs" / "screenshots" / "matching-review.png"
TOWNSHIP = "330523001"  # 递铺街道: the accepted run's area (not 上墅乡)
WORKER_TIMEOUT_MS = 30_000


def solve_queued_runs(app: App) -> None:
    """A task worker takes every queued job (the runs just started) and exits."""
    bangdai("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0.2", env=app.env)


def wait_for_review(page: Page, app: App) -> int:
    """The run page shows its progress until a worker has solved it, then reloads itself as the review page."""
    page.wait_for_url(re.compile(r"/matching/\d+/$"))
    run_id = int(re.search(r"/matching/(\d+)/$", page.url).group(1))
    expect(page.locator("#run-progress")).to_be_visible()
    solve_queued_runs(app)
    expect(page.locator(".run-figures")).to_be_visible(timeout=WORKER_TIMEOUT_MS)  # htmx reloaded the page
    assert app.query("SELECT status FROM matching_matchrun WHERE id = ?", (run_id,)) == [("proposed",)]
    return run_id


def start_run(page: Page, programme_name: str, area: str, km: int) -> None:
    page.locator("#sidebar-menu").get_by_role("link", name="智能匹配", exact=True).click()
    page.wait_for_url(re.compile(r"/matching/"))
    page.get_by_role("link", name="新增").click()
    option = page.locator("#id_programme option", has_text=programme_name)
    page.locator("#id_programme").select_option(option.get_attribute("value"))
    submit(page, page.get_by_role("button", name="继续"))
    expect(page.locator(".page-pretitle")).to_contain_text(programme_name)
    page.locator("#id_area").select_option(area)
    # The weights come pre-filled from the programme's rules.
    expect(page.get_by_label("距离", exact=True)).to_have_value("30")
    page.get_by_label("最远距离（公里）").fill(str(km))
    submit(page, page.get_by_role("button", name="开始匹配"))


def pair_names(app: App, run_id: int) -> list[tuple[int, str, int, str]]:
    return app.query(
        "SELECT p.id, ap.name, p.mentor_id, mp.name FROM matching_matchpair p "
        "JOIN apprentices_apprentice a ON a.id = p.apprentice_id JOIN people_person ap ON ap.id = a.person_id "
        "JOIN mentors_mentor m ON m.id = p.mentor_id JOIN people_person mp ON mp.id = m.person_id "
        "WHERE p.run_id = ? ORDER BY p.id",
        (run_id,),
    )


def test_match_review_adjust_and_accept(new_context, app):
    programme_id, programme_name = programme_of(app, COUNTY)
    context = new_context()
    page = sign_in(context, app, "anji")
    page.on("dialog", lambda dialog: dialog.accept())  # the accept and discard buttons ask first

    # The whole county with a strict distance limit: most apprentices are paired, a few are explained.
    start_run(page, programme_name, COUNTY, km=2)
    run_id = wait_for_review(page, app)
    expect(page.locator(".page-title")).to_contain_text("待审核")
    pairs = pair_names(app, run_id)
    [(unpaired,)] = app.query("SELECT count(*) FROM matching_matchunpaired WHERE run_id = ?", (run_id,))
    assert len(pairs) >= 10 and unpaired >= 1, (len(pairs), unpaired)
    figures = page.locator(".run-figures")
    expect(figures).to_contain_text(f"{len(pairs)}")
    expect(page.locator(".solver-card")).to_contain_text("已证明最优")
    # The map: a line per pair (or more, with suggestions), the unpaired marked; nothing fetched from outside.
    run_map = page.locator("svg.run-map")
    expect(run_map).to_be_visible()
    assert run_map.locator("line.line-strong, line.line-fair, line.line-weak").count() == len(pairs)
    expect(run_map.locator("circle.dot-unpaired")).to_have_count(unpaired)
    # Each pair's score by criterion, the runner-up and why, in words.
    table = page.locator(".pair-table")
    expect(table.locator(":scope > tbody > tr")).to_have_count(len(pairs))
    expect(table.locator(".score-part").first).to_be_visible()
    expect(table.locator(".why-text").first).to_contain_text(re.compile(r"次选|唯一|锁定"))
    details = table.locator(".why-details").first
    details.locator("summary").click()
    expect(details.locator(".why-table")).to_be_visible()
    # The unpaired: the reason, the rules that kept mentors out, and what would pair them.
    rows = page.locator(".unpaired-row")
    expect(rows).to_have_count(unpaired)
    expect(rows.first).to_contain_text("超出距离上限")
    expect(rows.first.locator(".suggestion")).to_contain_text(
        re.compile(r"距离上限提高到 \d+ 公里|增加一个名额")
    )
    details.locator("summary").click()

    page.evaluate("window.scrollTo(0, 0)")  # the sidebar is sticky: a scrolled page would draw it lower down
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert SCREENSHOT.stat().st_size > 50_000

    # Not this one: discard it (nothing was paired).
    submit(page, page.locator(".run-controls").get_by_role("button", name="放弃"))
    expect(page.locator(".page-title")).to_contain_text("已放弃")
    assert app.query("SELECT status FROM matching_matchrun WHERE id = ?", (run_id,)) == [("discarded",)]

    # 递铺街道 alone, at the programme's distance limit.
    start_run(page, programme_name, TOWNSHIP, km=30)
    run_id = wait_for_review(page, app)
    pairs = pair_names(app, run_id)
    assert len(pairs) >= 2, pairs
    pair_id, apprentice, mentor_id, mentor = pairs[0]
    row = page.locator(".pair-table > tbody > tr", has_text=apprentice)
    expect(row).to_contain_text(mentor)

    # Remove that pair: a new run from this one, solved again, never proposing it.
    submit(page, row.get_by_role("button", name="移除"))
    child_id = wait_for_review(page, app)
    assert child_id != run_id
    expect(page.locator(".page-header")).to_contain_text("调整自方案 #")
    expect(page.locator(".params-card")).to_contain_text(f"{mentor} → {apprentice}")  # listed as removed
    assert app.query(
        "SELECT count(*) FROM matching_matchpair p WHERE p.run_id = ? AND p.mentor_id = ? "
        "AND p.apprentice_id = (SELECT apprentice_id FROM matching_matchpair WHERE id = ?)",
        (child_id, mentor_id, pair_id),
    ) == [(0,)]
    child_pairs = pair_names(app, child_id)

    # Accept: every pair becomes a proposed pairing, awaiting the mentors' and apprentices' confirmation.
    submit(page, page.locator(".run-controls").get_by_role("button", name=re.compile(r"^采纳")))
    expect(page.locator(".messages .alert-success")).to_contain_text(f"已采纳：{len(child_pairs)} 个结对")
    expect(page.locator(".page-title")).to_contain_text("已采纳")
    proposed = app.query(
        "SELECT ap.name FROM pairings_pairing g JOIN apprentices_apprentice a ON a.id = g.apprentice_id "
        "JOIN people_person ap ON ap.id = a.person_id WHERE g.status = 'proposed' "
        "AND g.apprentice_id IN (SELECT apprentice_id FROM matching_matchpair WHERE run_id = ?)",
        (child_id,),
    )
    assert sorted(n for (n,) in proposed) == sorted(name for _p, name, _m, _mn in child_pairs)
    page.get_by_role("link", name="查看待确认的结对").click()
    page.wait_for_url(re.compile(r"/pairings/\?"))
    for _p, name, _m, _mn in child_pairs:
        expect(page.locator("#table-area tbody tr", has_text=name)).to_contain_text("待确认")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "matching-accepted.png", full_page=True)
