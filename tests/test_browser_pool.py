"""Browser tests of the mentor pool and pairing workflows: a nomination taken step by step to appointment and
its 聘书, and a pairing from proposal through both parties' confirmation to the signed 拜师帖.

They drive the shared runserver on the county demo (conftest.py's ``app``) through headless Chromium with a
Chinese locale, clicking the buttons a user would click; the server's SQLite file is read to choose the
people, and written only where no page could do it (a publicity period that has not run yet, a cadre's own
account).
"""

import datetime as dt
import io
import re
import textwrap

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pypdf import PdfReader

from .servers import ARTIFACTS, CHROMIUM, PASSWORD, App, bangdai, need, sign_in

pytestmark = pytest.mark.browser

COUNTY = "330523"  # 安吉县
TOWNSHIP = "330523205"  # 上墅乡, the `shangshu` account's township


@pytest.fixture(scope="module", autouse=True)
def _chromium():
    need(CHROMIUM.exists(), f"Chromium at {CHROMIUM}")


def programme_of(app: App, code: str) -> tuple[int, str]:
    [(pk, name)] = app.query(
        "SELECT p.id, p.name FROM programmes_programme p JOIN regions_region r ON r.id = p.region_id "
        "WHERE r.code = ? AND p.status = 'open'",
        (code,),
    )
    return pk, name


def submit(page: Page, button) -> None:
    """Click a button that posts its form and wait for the page the server answers with."""
    with page.expect_navigation():
        button.click()


def pdf_text(context: BrowserContext, page: Page, link_name: str) -> tuple[str, str]:
    """Follow the page's PDF link with the browser's session (its cookies); the text of every page, the href."""
    link = page.get_by_role("link", name=link_name)
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    response = context.request.get(href)
    assert response.ok, f"{href}: {response.status}"
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF-"), f"{href} is not a PDF"
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(p.extract_text() or "" for p in reader.pages), href


def expect_success(page: Page, text: str) -> None:
    """The success message of the last step (a status, not an alert)."""
    expect(page.locator(".messages .alert-success[role=status]")).to_contain_text(text)


def compact(text: str) -> str:
    """PDF text without the spaces and line breaks the layout puts between characters."""
    return re.sub(r"\s+", "", text)


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.unlink(missing_ok=True)
    page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 20_000, f"{path} is only {path.stat().st_size} bytes"


# ---------------------------------------------------------------------------------------------- nomination


def unpooled_cadre(app: App) -> tuple[int, str, str]:
    """A cadre of 安吉县 in no mentor pool, no apprentice registry and with no account; a name no one shares."""
    rows = app.query(
        "SELECT p.id, p.name, r.name FROM people_person p JOIN regions_region r ON r.id = p.region_id "
        "WHERE r.code LIKE ? "
        "AND p.id NOT IN (SELECT person_id FROM mentors_mentor) "
        "AND p.id NOT IN (SELECT person_id FROM apprentices_apprentice) "
        "AND p.id NOT IN (SELECT person_id FROM accounts_user WHERE person_id IS NOT NULL) "
        "AND (SELECT count(*) FROM people_person q WHERE q.name = p.name) = 1 "
        "ORDER BY p.id LIMIT 1",
        (f"{COUNTY}%",),
    )
    assert rows, "the demo has no cadre of 安吉县 left to nominate"
    return rows[0]


def test_nomination_to_appointment_and_certificate(new_context, app):
    programme_id, programme_name = programme_of(app, COUNTY)
    person_id, name, region = unpooled_cadre(app)
    context = new_context()
    page = sign_in(context, app, "anji")

    # The mentor pool, its 新增 button, the nomination form.
    page.locator("#sidebar-menu").get_by_role("link", name="导师库", exact=True).click()
    page.wait_for_url(re.compile(r"/mentors/"))
    expect(page.locator(".page-title")).to_have_text("导师库")
    page.get_by_role("link", name="新增").click()
    page.wait_for_url(re.compile(r"/mentors/nominate/$"))
    expect(page.locator(".page-title")).to_contain_text("推荐导师")

    option = page.locator("#id_programme option", has_text=programme_name)
    page.locator("#id_programme").select_option(option.get_attribute("value"))

    # The cadre picker is tom-select over /cadres/lookup/: type part of the name, pick the suggestion.
    picker = page.locator(".ts-wrapper", has=page.locator("#id_person-ts-control"))
    picker.click()
    page.locator("#id_person-ts-control").press_sequentially(name[1:], delay=50)
    suggestion = page.locator(".ts-dropdown .option", has_text=f"{name} · {region}")
    expect(suggestion).to_have_count(1)
    suggestion.click()
    expect(page.locator("#id_person")).to_have_value(str(person_id))
    expect(picker.locator(".item")).to_have_text(f"{name} · {region}")

    page.locator("#id_tier").select_option(label="村级")
    page.get_by_label("带群众工作优服务").check()
    page.get_by_label("带基层治理促和谐").check()
    page.get_by_label("专长").fill("茶产业，矛盾调解")
    page.get_by_label("推荐单位").fill("上墅乡党委")
    page.get_by_label("推荐意见").fill("扎根基层二十年，群众威信高。")
    submit(page, page.get_by_role("button", name="推荐", exact=True))

    page.wait_for_url(re.compile(r"/mentors/\d+/$"))
    mentor_id = int(re.search(r"/mentors/(\d+)/$", page.url).group(1))
    [(db_person, db_programme, db_status)] = app.query(
        "SELECT person_id, programme_id, status FROM mentors_mentor WHERE id = ?", (mentor_id,)
    )
    assert (db_person, db_programme, db_status) == (person_id, programme_id, "submitted")
    title = page.locator(".page-title")
    expect(title).to_contain_text(name)
    expect(title).to_contain_text("已提交")
    expect_success(page, "已提交推荐")
    profile = page.locator(".datagrid")
    expect(profile).to_contain_text("带群众工作优服务、带基层治理促和谐")
    expect(profile).to_contain_text("茶产业、矛盾调解")
    expect(profile).to_contain_text("上墅乡党委")

    # Each vetting step with its button; each leaves the next one.
    steps = [
        ("单位推荐", "单位推荐"),
        ("开始组织考察", "组织考察"),
        ("考察通过", "集体研究"),
        ("研究通过并公示", "公示"),
    ]
    actions = page.locator(".mentor-actions")
    for button, status in steps:
        submit(page, actions.get_by_role("button", name=button, exact=True))
        expect_success(page, f"已完成：{button}。")
        expect(title).to_contain_text(status)

    # Publicity runs for some working days: the page gives the period, and appointing now is refused.
    [(start, end)] = app.query(
        "SELECT publicity_start, publicity_end FROM mentors_mentor WHERE id = ?", (mentor_id,)
    )
    assert start and end and end > start
    expect(actions).to_contain_text("公示期：")
    submit(page, actions.get_by_role("button", name="聘任", exact=True))
    expect(actions.get_by_role("alert")).to_have_text(f"公示期至 {end}，公示期满后方可聘任。")
    expect(title).to_contain_text("公示")
    expect(title).not_to_contain_text("已聘任")
    assert app.query("SELECT status FROM mentors_mentor WHERE id = ?", (mentor_id,)) == [("publicity",)]

    # The period is moved into the past on the server's database, as if the days had gone by.
    began = dt.date.fromisoformat(start)
    changed = app.execute(
        "UPDATE mentors_mentor SET publicity_start = ?, publicity_end = ? WHERE id = ?",
        (str(began - dt.timedelta(days=14)), str(began - dt.timedelta(days=2)), mentor_id),
    )
    assert changed == 1
    page.goto(f"/mentors/{mentor_id}/")  # the refusal was the answer to a POST: open the page afresh
    expect(actions).not_to_contain_text("公示期至")
    submit(page, actions.get_by_role("button", name="聘任", exact=True))
    expect_success(page, "已完成：聘任。")
    expect(title).to_contain_text("已聘任")
    expect(actions.locator("summary", has_text="暂停")).to_be_visible()  # an appointed mentor's steps
    expect(actions.get_by_role("button", name="聘任", exact=True)).to_have_count(0)

    [(certificate,)] = app.query("SELECT certificate_no FROM mentors_mentor WHERE id = ?", (mentor_id,))
    assert certificate and re.fullmatch(rf"{COUNTY}-\d{{4}}-0*{mentor_id}", certificate), certificate
    number = profile.locator(".datagrid-item", has_text="聘书编号").locator("dd")
    expect(number).to_have_text(certificate)
    expect(profile.locator(".datagrid-item", has_text="聘任日期").locator("dd")).not_to_have_text("–")

    timeline = page.locator(".timeline-list li .fw-medium")
    expect(timeline).to_have_text(
        ["提名", "单位推荐", "组织考察", "考察通过，提交集体研究", "开始公示", "聘任"]
    )

    shot(page, "mentor-appointed.png")

    text, href = pdf_text(context, page, "聘书（PDF）")
    assert href.endswith(f"/mentors/{mentor_id}/certificate.pdf"), href
    flat = compact(text)
    assert name in flat, f"{name} not in the 聘书: {text[:300]!r}"
    assert certificate in flat, f"{certificate} not in the 聘书: {text[:300]!r}"


# ---------------------------------------------------------------------------------------------- pairing


def demo_mentor(app: App, programme_id: int) -> tuple[int, int, str, str]:
    """The `mentor` account's pool entry in the programme: (mentor id, person id, name, home region)."""
    [(mentor_id, person_id, name, region, status, capacity, load)] = app.query(
        "SELECT m.id, p.id, p.name, r.name, m.status, m.capacity, m.load FROM mentors_mentor m "
        "JOIN people_person p ON p.id = m.person_id JOIN regions_region r ON r.id = m.region_id "
        "JOIN accounts_user u ON u.person_id = p.id WHERE u.username = 'mentor' AND m.programme_id = ?",
        (programme_id,),
    )
    assert status == "active" and load < capacity, f"the demo mentor has no free place ({load}/{capacity})"
    return mentor_id, person_id, name, region


def unpaired_apprentice(app: App, programme_id: int, mentor_person: int) -> tuple[int, int, str, str]:
    """An apprentice of 上墅乡 awaiting a mentor, with no account and no conflict with the mentor."""
    rows = app.query(
        "SELECT a.id, p.id, p.name, r.name FROM apprentices_apprentice a "
        "JOIN people_person p ON p.id = a.person_id JOIN regions_region r ON r.id = a.region_id "
        "WHERE a.programme_id = ? AND r.code LIKE ? AND a.status = 'eligible' "
        "AND a.id NOT IN (SELECT apprentice_id FROM pairings_pairing "
        "                 WHERE status IN ('proposed', 'confirmed', 'active', 'extended')) "
        "AND p.id NOT IN (SELECT apprentice_person_id FROM pairings_conflictdeclaration "
        "                 WHERE mentor_person_id = ?) "
        "AND p.id NOT IN (SELECT person_id FROM accounts_user WHERE person_id IS NOT NULL) "
        "ORDER BY a.id LIMIT 1",
        (programme_id, f"{TOWNSHIP}%", mentor_person),
    )
    assert rows, "the demo has no unpaired apprentice in 上墅乡"
    return rows[0]


def create_apprentice_account(app: App, username: str, person_id: int) -> None:
    """The apprentice's own account (role 徒弟, linked to the cadre record): the accounts pages create accounts
    with a role and a region but do not link them to a cadre, so this goes through ``bangdai shell``."""
    code = textwrap.dedent(
        f"""
        from bangdai.accounts.choices import Role
        from bangdai.accounts.models import RoleAssignment, User
        from bangdai.people.models import Person
        person = Person.objects.select_related("region").get(pk={person_id})
        user = User(username={username!r}, display_name=person.name, person=person)
        user.set_password({PASSWORD!r})
        user.save()
        RoleAssignment.objects.create(user=user, role=Role.APPRENTICE, region=person.region)
        """
    )
    bangdai("shell", "-c", code, env=app.env)
    assert app.query("SELECT person_id FROM accounts_user WHERE username = ?", (username,)) == [(person_id,)]


def accept_in_workspace(page: Page, who: str) -> None:
    """Open 我的帮带 from the menu and accept the proposal that names ``who``."""
    page.locator("#sidebar-menu").get_by_role("link", name="我的帮带", exact=True).click()
    page.wait_for_url(re.compile(r"/pairings/workspace/$"))
    pending = page.locator(".workspace-pending .list-group-item", has_text=who)
    expect(pending).to_have_count(1)
    submit(page, pending.get_by_role("button", name="接受"))
    page.wait_for_url(re.compile(r"/pairings/workspace/$"))
    expect_success(page, "您已确认结对。")
    expect(page.locator(".workspace-pending", has_text=who)).to_have_count(0)


def test_pairing_from_proposal_to_signed_pledge(new_context, app):
    programme_id, programme_name = programme_of(app, COUNTY)
    mentor_id, mentor_person, mentor_name, _mentor_region = demo_mentor(app, programme_id)
    apprentice_id, apprentice_person, apprentice_name, apprentice_region = unpaired_apprentice(
        app, programme_id, mentor_person
    )
    create_apprentice_account(app, "bp-apprentice", apprentice_person)

    # The township committee proposes the pairing.
    township = sign_in(new_context(), app, "shangshu")
    township.locator("#sidebar-menu").get_by_role("link", name="结对", exact=True).click()
    township.wait_for_url(re.compile(r"/pairings/"))
    township.get_by_role("link", name="新增").click()
    township.wait_for_url(re.compile(r"/pairings/new/$"))
    option = township.locator("#id_programme option", has_text=programme_name)
    township.locator("#id_programme").select_option(option.get_attribute("value"))
    submit(township, township.get_by_role("button", name="继续"))
    expect(township.locator(".page-pretitle")).to_have_text(programme_name)
    township.get_by_label("徒弟").select_option(label=f"{apprentice_name} · {apprentice_region}")
    # One mentor (a select) or a team (checkboxes), as the programme's rules say; 安吉县 allows teams.
    mentor_label = re.compile(rf"^{mentor_name} · ")
    checkbox = township.get_by_role("checkbox", name=mentor_label)
    if checkbox.count():
        checkbox.check()
    else:
        select = township.locator("#id_mentors")
        value = select.locator("option", has_text=f"{mentor_name} · ").get_attribute("value")
        select.select_option(value)
    township.get_by_label("备注").fill("同村帮带，便于日常指导")
    submit(township, township.get_by_role("button", name="提出结对", exact=True))
    township.wait_for_url(re.compile(r"/pairings/\d+/$"))
    pairing_id = int(re.search(r"/pairings/(\d+)/$", township.url).group(1))
    pairing_url = f"/pairings/{pairing_id}/"
    title = township.locator(".page-title")
    expect(title).to_contain_text(mentor_name)
    expect(title).to_contain_text(apprentice_name)
    expect(title).to_contain_text("待确认")
    expect_success(township, "已提出结对")
    [(db_apprentice, db_status)] = app.query(
        "SELECT apprentice_id, status FROM pairings_pairing WHERE id = ?", (pairing_id,)
    )
    assert (db_apprentice, db_status) == (apprentice_id, "proposed")
    assert app.query("SELECT mentor_id FROM pairings_pairingmentor WHERE pairing_id = ?", (pairing_id,)) == [
        (mentor_id,)
    ]
    expect(township.locator(".pairing-actions")).not_to_contain_text("登记拜师帖")  # not confirmed yet

    # The mentor and then the apprentice accept in their own workspaces.
    mentor = sign_in(new_context(), app, "mentor")
    accept_in_workspace(mentor, apprentice_name)
    expect(mentor.locator(".workspace-apprentices")).to_contain_text(apprentice_name)
    assert app.query("SELECT status FROM pairings_pairing WHERE id = ?", (pairing_id,)) == [("proposed",)]

    apprentice = sign_in(new_context(), app, "bp-apprentice")
    accept_in_workspace(apprentice, mentor_name)
    mine = apprentice.locator(".workspace-mentors .list-group-item", has_text=mentor_name)
    expect(mine).to_contain_text("待拜师")
    expect(mine).to_contain_text("双方已确认，乡镇党委将安排拜师仪式。")
    assert app.query("SELECT status FROM pairings_pairing WHERE id = ?", (pairing_id,)) == [("confirmed",)]

    # The township committee records the 拜师帖 on the pairing's page.
    township.goto(pairing_url)
    expect(title).to_contain_text("待拜师")
    members = township.locator(".pairing-members")
    expect(members.locator(".list-group-item", has_text=mentor_name)).to_contain_text("已确认")
    expect(members.locator(".list-group-item", has_text=apprentice_name)).to_contain_text("已确认")
    signed_on = dt.date.today() - dt.timedelta(days=1)  # yesterday wherever the server's day begins
    place = "上墅乡刘家塘村文化礼堂"
    form = township.locator(f"form[action='/pairings/{pairing_id}/sign/']")
    expect(form).to_be_visible()  # its <details> is open
    form.get_by_label("签订日期").fill(signed_on.isoformat())
    form.get_by_label("拜师仪式地点").fill(place)
    form.get_by_label("见证人").fill("上墅乡党委组织委员\n刘家塘村党总支书记")
    submit(township, form.get_by_role("button", name="登记拜师帖"))
    township.wait_for_url(re.compile(rf"{pairing_url}$"))
    expect_success(township, "拜师帖已登记，结对进入帮带期。")
    expect(title).to_contain_text("帮带中")
    pledge = township.locator(".pledge")
    expect(pledge).to_contain_text(place)
    expect(pledge).to_contain_text("上墅乡党委组织委员、刘家塘村党总支书记")
    expect(pledge).to_contain_text(f"{signed_on.year}年{signed_on.month}月{signed_on.day}日")
    expect(pledge.locator(".pledge-text")).to_contain_text(f"尊敬的{mentor_name}导师")
    expect(township.locator(".timeline-list li .fw-medium")).to_have_text(
        ["提出结对", "一方确认", "一方确认", "双方确认", "签订拜师帖"]
    )
    [(status, db_place, start_date)] = app.query(
        "SELECT status, ceremony_place, start_date FROM pairings_pairing WHERE id = ?", (pairing_id,)
    )
    assert (status, db_place, start_date) == ("active", place, signed_on.isoformat())

    shot(township, "pairing-signed.png")

    context = township.context
    text, _href = pdf_text(context, township, "拜师帖（PDF）")
    flat = compact(text)
    for expected in ("拜师帖", apprentice_name, mentor_name, place):
        assert expected in flat, f"{expected} not in the 拜师帖: {text[:400]!r}"

    # The apprentice finds the signed 拜师帖 in the workspace too.
    apprentice.reload()
    expect(mine).to_contain_text("帮带中")
    expect(mine.locator("summary")).to_contain_text(place)
