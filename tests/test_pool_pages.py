"""Pages of programmes, the mentor pool, the apprentice registry, pairings and the workspaces.

Scope (404 outside it), read-only auditors (403 on every write, nothing changed), the whole flow from a new
programme to an active pairing through the forms, inline Chinese errors, and pinned list query counts.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bangdai.apprentices.choices import ApprenticeCategory, ApprenticeStatus
from bangdai.apprentices.models import Apprentice
from bangdai.core.choices import ContentArea
from bangdai.mentors.choices import MentorStatus, MentorTier, MentorTitle
from bangdai.mentors.models import Mentor, MentorEvent, PublicityObjection
from bangdai.pairings import services as pairing_services
from bangdai.pairings.choices import PairingStatus
from bangdai.pairings.models import ConflictDeclaration, Pairing, PairingEvent
from bangdai.programmes.models import Programme, ProgrammeRules

from . import pool
from .factories import PersonFactory, region

pytestmark = pytest.mark.django_db

REQUIRED = "该字段是必填项。"


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def setup(world):
    """A programme of 安吉县 with one appointed mentor, one apprentice and a proposed pairing."""
    admin = world.county_admin_a
    prog = pool.programme(admin)
    mentor = pool.appointed_mentor(
        admin, prog, person=world.mentor_person, titles=[MentorTitle.LAO_XIANGZHEN]
    )
    apprentice = pool.apprentice(admin, prog, person=world.apprentice_person, three_gates=True)
    pairing = pairing_services.propose(actor=admin, apprentice=apprentice, mentors=[mentor])
    return prog, mentor, apprentice, pairing


def object_urls(prog, mentor, apprentice, pairing) -> list[str]:
    return [
        reverse("programmes:detail", args=[prog.pk]),
        reverse("programmes:rules", args=[prog.pk]),
        reverse("mentors:detail", args=[mentor.pk]),
        reverse("apprentices:detail", args=[apprentice.pk]),
        reverse("pairings:detail", args=[pairing.pk]),
    ]


LIST_URLS = ["programmes:list", "mentors:list", "apprentices:list", "pairings:list", "pairings:workspace"]


@pytest.mark.parametrize("persona", ["province_admin", "county_admin_a", "township_a", "auditor"])
def test_pages_render_for_users_in_scope(client, world, setup, persona):
    login(client, getattr(world, persona))
    for name in LIST_URLS:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
    for url in object_urls(*setup):
        response = client.get(url)
        assert response.status_code == 200, url
    mentors = client.get(reverse("mentors:list"), {"region": ""}).content.decode()
    assert "陈导师" in mentors
    # Exports carry masked personal data only.
    export = client.get(reverse("mentors:list"), {"export": "csv", "region": ""})
    body = b"".join(export.streaming_content).decode()
    assert "陈导师" in body and world.mentor_person.id_number not in body
    assert world.mentor_person.id_number_masked in body
    xlsx = client.get(reverse("pairings:list"), {"export": "xlsx", "region": ""})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_parties_see_their_own_pairing_and_workspace(client, world, setup):
    prog, mentor, apprentice, pairing = setup
    for user in (world.mentor, world.apprentice):
        login(client, user)
        assert client.get(reverse("pairings:detail", args=[pairing.pk])).status_code == 200
        page = client.get(reverse("pairings:workspace")).content.decode()
        assert reverse("pairings:action", args=[pairing.pk, "confirm"]) in page
    # The mentor sees their own mentor page, but not the apprentice registry entry of someone else.
    login(client, world.mentor)
    assert client.get(reverse("mentors:detail", args=[mentor.pk])).status_code == 200
    assert client.get(reverse("apprentices:detail", args=[apprentice.pk])).status_code == 404


def test_out_of_scope_is_404(client, world, setup):
    prog, mentor, apprentice, pairing = setup
    login(client, world.county_admin_b)
    for url in object_urls(*setup):
        assert client.get(url).status_code == 404, url
    posts = [
        (reverse("programmes:rules", args=[prog.pk]), {}),
        (reverse("mentors:transition", args=[mentor.pk, "suspend"]), {"reason": "x"}),
        (reverse("mentors:edit", args=[mentor.pk]), {}),
        (reverse("mentors:record_objection", args=[mentor.pk]), {"content": "x"}),
        (reverse("apprentices:edit", args=[apprentice.pk]), {}),
        (reverse("pairings:action", args=[pairing.pk, "terminate"]), {"terminate-reason": "x"}),
        (reverse("pairings:declare_conflict", args=[apprentice.pk]), {}),
        (reverse("pairings:propose") + f"?programme={prog.pk}", {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    # Lists do not show them, and a region filter outside the scope is a 404.
    assert "陈导师" not in client.get(reverse("mentors:list"), {"region": ""}).content.decode()
    assert client.get(reverse("mentors:list"), {"region": "330523"}).status_code == 404
    # A cadre of another county chosen in a form is a 404 too, like an out-of-scope record by URL.
    own = pool.programme(world.county_admin_b, code="330521", name="德清县帮带")
    response = client.post(
        reverse("mentors:nominate"),
        {"programme": own.pk, "person": world.cadre_a.pk, "tier": MentorTier.VILLAGE},
    )
    assert response.status_code == 404
    assert not Mentor.objects.filter(person=world.cadre_a).exists()


def test_auditor_reads_but_every_write_is_403(client, world, setup):
    prog, mentor, apprentice, pairing = setup
    login(client, world.auditor)
    before = (
        Programme.objects.count(),
        ProgrammeRules.objects.count(),
        MentorEvent.objects.count(),
        Mentor.objects.count(),
        Apprentice.objects.count(),
        Pairing.objects.count(),
        PairingEvent.objects.count(),
        ConflictDeclaration.objects.count(),
        PublicityObjection.objects.count(),
    )
    writes = [
        (reverse("programmes:create"), {"name": "x", "region": "330523", "year": 2027}),
        (reverse("programmes:rules", args=[prog.pk]), {"term_months": 6}),
        (reverse("mentors:nominate"), {"programme": prog.pk, "person": world.cadre_a.pk}),
        (reverse("mentors:transition", args=[mentor.pk, "suspend"]), {"reason": "审计"}),
        (reverse("mentors:edit", args=[mentor.pk]), {"tier": MentorTier.COUNTY, "capacity": 5}),
        (reverse("mentors:record_objection", args=[mentor.pk]), {"content": "x"}),
        (reverse("apprentices:create"), {"programme": prog.pk, "person": world.cadre_a.pk}),
        (reverse("apprentices:edit", args=[apprentice.pk]), {"categories": ["village_cadre"]}),
        (reverse("pairings:propose") + f"?programme={prog.pk}", {"apprentice": apprentice.pk}),
        (reverse("pairings:action", args=[pairing.pk, "confirm"]), {}),
        (reverse("pairings:action", args=[pairing.pk, "decline"]), {"decline-reason": "x"}),
        (reverse("pairings:action", args=[pairing.pk, "sign"]), {}),
        (reverse("pairings:action", args=[pairing.pk, "terminate"]), {"terminate-reason": "x"}),
        (reverse("pairings:declare_conflict", args=[apprentice.pk]), {"mentor": mentor.pk, "kind": "other"}),
    ]
    for url, data in writes:
        assert client.post(url, data).status_code == 403, url
    for name in ("programmes:create", "mentors:nominate", "apprentices:create", "pairings:propose"):
        assert client.get(reverse(name)).status_code == 403, name
    after = (
        Programme.objects.count(),
        ProgrammeRules.objects.count(),
        MentorEvent.objects.count(),
        Mentor.objects.count(),
        Apprentice.objects.count(),
        Pairing.objects.count(),
        PairingEvent.objects.count(),
        ConflictDeclaration.objects.count(),
        PublicityObjection.objects.count(),
    )
    assert before == after
    mentor.refresh_from_db()
    assert mentor.status == MentorStatus.ACTIVE
    # Read-only pages offer no write controls.
    page = client.get(reverse("pairings:detail", args=[pairing.pk])).content.decode()
    assert reverse("pairings:action", args=[pairing.pk, "terminate"]) not in page


def test_programme_creation_is_for_organisation_departments_and_their_regions(client, world):
    login(client, world.township_a)
    assert client.get(reverse("programmes:create")).status_code == 403
    login(client, world.county_admin_a)
    page = client.get(reverse("programmes:create")).content.decode()
    # Regions offered: the county only (no township, no other county); rules pre-filled with the defaults.
    assert 'value="330523"' in page and 'value="330523205"' not in page and 'value="330521"' not in page
    assert 'name="capacity_provincial" value="15"' in page and 'name="term_months" value="12"' in page
    response = client.post(reverse("programmes:create"), {"name": "x", "region": "330521", "year": 2027})
    assert response.status_code == 404
    assert not Programme.objects.exists()


def test_full_flow_through_the_pages(client, world):
    admin = world.county_admin_a
    login(client, admin)
    data = {
        "name": "安吉县2027年导师帮带",
        "region": "330523",
        "year": 2027,
        "description": "",
        **{f"capacity_{t.value}": 3 for t in MentorTier},
        "term_months": 12,
        "max_term_months": 36,
        "publicity_working_days": 5,
        "apprentice_max_age": 35,
        "max_mentors_per_apprentice": 1,
        "plan_due_days": 30,
        "activities_per_month": 2,
        "onsite_per_month": 1,
        "talks_per_quarter": 1,
        "assignments_per_quarter": 1,
        "review_within_days": 14,
        "confirm_within_days": 7,
        "mentor_term_years": 3,
    }
    response = client.post(reverse("programmes:create"), data)
    prog = Programme.objects.get()
    assert response.status_code == 302 and response.url == reverse("programmes:detail", args=[prog.pk])
    assert prog.policy.capacity_for(MentorTier.VILLAGE) == 3

    # Rules: a change writes version 2, shown with who wrote it.
    response = client.post(
        reverse("programmes:rules", args=[prog.pk]), {**data, "term_months": 18, "note": "延长"}
    )
    assert response.status_code == 302
    prog = Programme.objects.get()
    assert (prog.current_rules().version, prog.policy.term_months) == (2, 18)
    history = client.get(reverse("programmes:rules", args=[prog.pk])).content.decode()
    assert "延长" in history and "anji" in history

    # Nominate the mentor, then take every step on the mentor's page.
    response = client.post(
        reverse("mentors:nominate"),
        {
            "programme": prog.pk,
            "person": world.mentor_person.pk,
            "tier": MentorTier.VILLAGE,
            "titles": [MentorTitle.QIANMING_HAO_ZHISHU],
            "qianming_batch": "2",
            "expertise": [ContentArea.COMMON_PROSPERITY],
            "specialties": "茶产业，民宿, 矛盾调解",
            "capacity": "",
        },
    )
    mentor = Mentor.objects.get()
    assert response.status_code == 302
    assert mentor.specialties == ["茶产业", "民宿", "矛盾调解"] and mentor.capacity == 3
    for action in ("recommend", "vet", "review", "publicise"):
        response = client.post(reverse("mentors:transition", args=[mentor.pk, action]))
        assert response.status_code == 302, action
    mentor.refresh_from_db()
    assert mentor.status == MentorStatus.PUBLICITY
    # Too early: the publicity period is not over; the page says so and nothing changes.
    response = client.post(reverse("mentors:transition", args=[mentor.pk, "appoint"]))
    assert (
        response.status_code == 200
        and "publicity" in response.content.decode().lower()
        or "公示" in (response.content.decode())
    )
    Mentor.objects.filter(pk=mentor.pk).update(publicity_end=dt.date.today() - dt.timedelta(days=1))
    # An objection blocks appointment until resolved.
    assert (
        client.post(
            reverse("mentors:record_objection", args=[mentor.pk]), {"content": "群众反映", "raised_by": ""}
        )
    ).status_code == 302
    objection = PublicityObjection.objects.get()
    client.post(reverse("mentors:transition", args=[mentor.pk, "appoint"]))
    assert Mentor.objects.get().status == MentorStatus.PUBLICITY
    response = client.post(
        reverse("mentors:resolve_objection", args=[mentor.pk, objection.pk]), {"resolution": ""}
    )
    assert response.status_code == 200 and REQUIRED in response.content.decode()
    client.post(
        reverse("mentors:resolve_objection", args=[mentor.pk, objection.pk]), {"resolution": "经核实不属实"}
    )
    response = client.post(reverse("mentors:transition", args=[mentor.pk, "appoint"]))
    assert response.status_code == 302
    mentor.refresh_from_db()
    assert mentor.status == MentorStatus.ACTIVE and mentor.certificate_no
    page = client.get(reverse("mentors:detail", args=[mentor.pk])).content.decode()
    assert "群众反映" in page and "经核实不属实" in page and "anji" in page

    # Register the apprentice and propose the pairing.
    response = client.post(
        reverse("apprentices:create"),
        {
            "programme": prog.pk,
            "person": world.apprentice_person.pk,
            "categories": [ApprenticeCategory.NEW_VILLAGE_SECRETARY],
            "three_gates": "on",
            "needs": [ContentArea.COMMON_PROSPERITY],
        },
    )
    apprentice = Apprentice.objects.get()
    assert response.status_code == 302 and apprentice.three_gates
    form = client.get(reverse("pairings:propose"), {"programme": prog.pk}).content.decode()
    assert "陈导师" in form and "吴徒弟" in form
    response = client.post(
        reverse("pairings:propose") + f"?programme={prog.pk}",
        {"apprentice": apprentice.pk, "mentors": mentor.pk},
    )
    pairing = Pairing.objects.get()
    assert response.status_code == 302 and pairing.status == PairingStatus.PROPOSED

    # Both parties accept in their workspaces.
    workspace = reverse("pairings:workspace")
    for party in (world.mentor, world.apprentice):
        login(client, party)
        assert (
            reverse("pairings:action", args=[pairing.pk, "confirm"]) in client.get(workspace).content.decode()
        )
        response = client.post(reverse("pairings:action", args=[pairing.pk, "confirm"]), {"next": workspace})
        assert response.status_code == 302 and response.url == workspace
    pairing.refresh_from_db()
    assert pairing.status == PairingStatus.CONFIRMED

    # The township committee records the 拜师帖; the pairing becomes active.
    login(client, world.township_a)
    sign = reverse("pairings:action", args=[pairing.pk, "sign"])
    response = client.post(sign, {"sign-signed_on": "", "sign-ceremony_place": "", "sign-witnesses": ""})
    assert response.status_code == 200 and REQUIRED in response.content.decode()
    yesterday = dt.date.today() - dt.timedelta(days=1)
    response = client.post(
        sign,
        {
            "sign-signed_on": yesterday.isoformat(),
            "sign-ceremony_place": "上墅乡师说馆",
            "sign-witnesses": "乡党委书记\n\n村支书 ",
            "sign-text": "",
        },
    )
    assert response.status_code == 302
    pairing.refresh_from_db()
    assert pairing.status == PairingStatus.ACTIVE and pairing.witnesses == ["乡党委书记", "村支书"]
    assert Apprentice.objects.get().status == ApprenticeStatus.PAIRED

    login(client, world.apprentice)
    page = client.get(workspace).content.decode()
    assert "陈导师" in page and "上墅乡师说馆" in page
    login(client, world.mentor)
    assert "吴徒弟" in client.get(workspace).content.decode()
    login(client, admin)
    detail = client.get(reverse("programmes:detail", args=[prog.pk])).content.decode()
    assert (
        "上墅乡" in client.get(workspace).content.decode()
        or prog.name in client.get(workspace).content.decode()
    )
    assert prog.name in detail

    # Extend without a reason: the error is inline; then extend, and graduate.
    extend = reverse("pairings:action", args=[pairing.pk, "extend"])
    response = client.post(extend, {"extend-months": "6", "extend-reason": ""})
    assert response.status_code == 200 and REQUIRED in response.content.decode()
    response = client.post(extend, {"extend-months": "30", "extend-reason": "消薄任务未完成"})
    assert response.status_code == 200 and "36" in response.content.decode()
    assert client.post(extend, {"extend-months": "6", "extend-reason": "消薄任务未完成"}).status_code == 302
    assert client.post(reverse("pairings:action", args=[pairing.pk, "complete"]), {}).status_code == 302
    pairing.refresh_from_db()
    assert pairing.status == PairingStatus.COMPLETED and pairing.term_months == 24


def test_decline_repair_and_conflict_from_the_pages(client, world):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    first = pool.appointed_mentor(admin, prog, person=world.mentor_person)
    second = pool.appointed_mentor(admin, prog)
    apprentice = pool.apprentice(admin, prog, person=world.apprentice_person, three_gates=True)
    pairing = pairing_services.propose(actor=admin, apprentice=apprentice, mentors=[first])

    # The mentor declines from the workspace: a reason is needed.
    login(client, world.mentor)
    decline = reverse("pairings:action", args=[pairing.pk, "decline"])
    response = client.post(decline, {"decline-reason": ""})
    assert response.status_code == 200 and REQUIRED in response.content.decode()
    assert client.post(decline, {"decline-reason": "工作调动"}).status_code == 302
    pairing.refresh_from_db()
    assert pairing.status == PairingStatus.DECLINED

    # A new proposal, then re-pairing to the second mentor in one step.
    login(client, admin)
    client.post(
        reverse("pairings:propose") + f"?programme={prog.pk}",
        {"apprentice": apprentice.pk, "mentors": first.pk},
    )
    current = Pairing.objects.get(status=PairingStatus.PROPOSED)
    response = client.post(
        reverse("pairings:action", args=[current.pk, "repair"]),
        {"repair-mentors": second.pk, "repair-reason": "调任"},
    )
    assert response.status_code == 302
    new = Pairing.objects.get(status=PairingStatus.PROPOSED)
    assert new.replaces_id == current.pk and response.url == reverse("pairings:detail", args=[new.pk])

    # Declare a conflict from the apprentice page; the first mentor can no longer be chosen for them.
    client.post(reverse("pairings:action", args=[new.pk, "terminate"]), {"terminate-reason": "重新安排"})
    response = client.post(
        reverse("pairings:declare_conflict", args=[apprentice.pk]),
        {
            "mentor": first.pk,
            "kind": "household",
            "note": "",
            "next": reverse("apprentices:detail", args=[apprentice.pk]),
        },
    )
    assert response.status_code == 302 and ConflictDeclaration.objects.count() == 1
    response = client.post(
        reverse("pairings:propose") + f"?programme={prog.pk}",
        {"apprentice": apprentice.pk, "mentors": first.pk},
    )
    assert response.status_code == 200
    assert Pairing.objects.filter(status=PairingStatus.PROPOSED).count() == 0


def test_team_programmes_offer_several_mentors(client, world):
    admin = world.county_admin_a
    prog = pool.programme(admin, max_mentors_per_apprentice=3)
    a, b = pool.appointed_mentor(admin, prog), pool.appointed_mentor(admin, prog, capacity=1)
    apprentice = pool.apprentice(admin, prog)
    login(client, admin)
    page = client.get(reverse("pairings:propose"), {"programme": prog.pk}).content.decode()
    assert 'type="checkbox" name="mentors"' in page and "空余 1 个" in page and "空余 3 个" in page
    response = client.post(
        reverse("pairings:propose") + f"?programme={prog.pk}",
        {"apprentice": apprentice.pk, "mentors": [a.pk, b.pk]},
    )
    assert response.status_code == 302
    assert Pairing.objects.get().members.count() == 2
    # The full mentor is no longer offered.
    page = client.get(reverse("pairings:propose"), {"programme": prog.pk}).content.decode()
    assert f'value="{b.pk}"' not in page


def test_self_nomination(client, world):
    prog = pool.programme(world.county_admin_a)
    login(client, world.mentor)
    assert prog.name in client.get(reverse("mentors:self_nominate")).content.decode()
    response = client.post(
        reverse("mentors:self_nominate"),
        {"programme": prog.pk, "tier": MentorTier.VILLAGE, "nomination_statement": "愿意带徒"},
    )
    mentor = Mentor.objects.get()
    assert response.status_code == 302 and mentor.person == world.mentor_person
    assert mentor.nominated_via == "self"
    # A cadre account without a linked record cannot apply.
    login(client, world.county_admin_a)
    assert client.get(reverse("mentors:self_nominate")).status_code == 403


def test_form_errors_are_inline_and_in_chinese(client, world):
    prog = pool.programme(world.county_admin_a)
    login(client, world.county_admin_a)
    response = client.post(reverse("mentors:nominate"), {"programme": prog.pk})
    page = response.content.decode()
    assert response.status_code == 200 and REQUIRED in page and 'class="invalid-feedback d-block"' in page
    # A service error lands on its field: the same cadre twice.
    mentor = pool.appointed_mentor(world.county_admin_a, prog, person=world.mentor_person)
    response = client.post(
        reverse("mentors:nominate"),
        {"programme": prog.pk, "person": world.mentor_person.pk, "tier": "village"},
    )
    assert response.status_code == 200 and "已在" in response.content.decode()
    # A step that needs a reason says so next to the reason field.
    response = client.post(reverse("mentors:transition", args=[mentor.pk, "suspend"]), {"reason": ""})
    assert response.status_code == 200 and "请填写原因" in response.content.decode()


# ---------------------------------------------------------------- query counts


# Pinned: session, user, scope, current region, its lineage (the region filter reuses the current region), then per
# list: the programme filter's choice (validated, then rendered), the count and the rows (+ pairings' mentors).
QUERIES = {"programmes:list": 8, "mentors:list": 10, "apprentices:list": 10, "pairings:list": 11}


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content[:500]
    return len(ctx)


def fill(admin, prog, n: int, start: int = 0) -> None:
    villages = [region(code) for code in ("330523205201", "330523205202", "330523105201")]
    for i in range(start, start + n):
        person = PersonFactory(region=villages[i % 3], birth_date=dt.date(1998, 1, 1))
        mentor = pool.appointed_mentor(
            admin, prog, person=PersonFactory(region=villages[i % 3]), titles=["lao_xiangzhen"]
        )
        apprentice = pool.apprentice(admin, prog, person=person)
        pairing_services.propose(actor=admin, apprentice=apprentice, mentors=[mentor])


@pytest.mark.parametrize("name", ["programmes:list", "mentors:list", "apprentices:list", "pairings:list"])
def test_lists_run_a_fixed_number_of_queries(client, world, name):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    login(client, admin)
    client.get("/")
    url = reverse(name)
    fill(admin, prog, 5)
    for i in range(4):
        pool.programme(admin, name=f"项目{i}")
    small = count_queries(client, url, {"programme": prog.pk} if name != "programmes:list" else {})
    fill(admin, prog, 45, start=5)
    for i in range(4, 49):
        pool.programme(admin, name=f"项目{i}")
    large = count_queries(client, url, {"programme": prog.pk} if name != "programmes:list" else {})
    assert (small, large) == (QUERIES[name], QUERIES[name])
