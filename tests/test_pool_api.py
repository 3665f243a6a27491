"""The REST API of programmes, mentors, apprentices, pairings and conflicts: scope, roles, workflow, errors, queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

from bangdai.accounts.choices import Role
from bangdai.apprentices.models import Apprentice
from bangdai.mentors.models import Mentor, MentorEvent
from bangdai.pairings import services as pairing_services
from bangdai.pairings.choices import ConflictKind
from bangdai.pairings.models import ConflictDeclaration, Pairing, PairingEvent
from bangdai.programmes.models import Programme, ProgrammeRules

from . import pool
from .factories import PersonFactory, region, user_with_role

pytestmark = pytest.mark.django_db


def api(user=None, language=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language) if language else APIClient()
    client.default_format = "json"
    if user is not None:
        client.force_authenticate(user)
    return client


def errors(response) -> dict[str, list[str]]:
    by_attr: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        by_attr.setdefault(error["attr"], []).append(error["detail"])
    return by_attr


def assert_no_personal_data(response, *people):
    text = response.content.decode()
    for person in people:
        assert person.id_number not in text and person.phone not in text
    for key in ("id_number", "phone", "id_number_masked", "phone_masked"):
        assert f'"{key}"' not in text


@pytest.fixture
def prog(world):
    return pool.programme(world.county_admin_a)


@pytest.fixture
def paired(world, prog):
    """An appointed mentor (the mentor persona), an apprentice (the apprentice persona) and their proposal."""
    admin = world.county_admin_a
    mentor = pool.appointed_mentor(admin, prog, person=world.mentor_person)
    apprentice = pool.apprentice(admin, prog, person=world.apprentice_person, three_gates=True)
    pairing = pairing_services.propose(actor=admin, apprentice=apprentice, mentors=[mentor])
    return mentor, apprentice, pairing


# ---------------------------------------------------------------- programmes


def test_programme_create_list_and_scope(world):
    body = {"name": "安吉县导师帮带", "region": "330523", "year": 2027, "rules": {"term_months": 18}}
    for persona in ("township_a", "auditor", "mentor"):
        assert api(getattr(world, persona)).post("/api/programmes/", body, format="json").status_code == 403
    assert api().post("/api/programmes/", body, format="json").status_code in (401, 403)
    assert not Programme.objects.exists()

    # A real region outside the caller's jurisdiction is a 404, as when opening it by URL.
    assert api(world.county_admin_b).post("/api/programmes/", body, format="json").status_code == 404

    created = api(world.county_admin_a).post("/api/programmes/", body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["rules_version"] == 1 and data["rules"]["term_months"] == 18
    assert data["rules"]["capacity_by_tier"]["county"] == 8
    url = reverse("api:programme-detail", args=[data["id"]])

    assert api(world.county_admin_b).get(url).status_code == 404
    assert api(world.county_admin_b).get("/api/programmes/").json()["count"] == 0
    for persona in ("province_admin", "township_a", "auditor", "mentor"):
        assert api(getattr(world, persona)).get(url).status_code == 200, persona
    assert api().get(url).status_code in (401, 403)

    # A township is not an organising level; a name is unique per region.
    township = api(world.county_admin_a).post(
        "/api/programmes/", {**body, "region": "330523205"}, format="json"
    )
    assert township.status_code == 400 and "region" in errors(township)
    again = api(world.county_admin_a).post("/api/programmes/", body, format="json")
    assert again.status_code == 400 and "name" in errors(again)
    assert Programme.objects.count() == 1


def test_a_city_programme_reaches_down_but_only_the_city_changes_its_rules(world):
    city = pool.programme(world.province_admin, code="330500", name="湖州市导师帮带")
    url = reverse("api:programme-rules", args=[city.pk])
    assert api(world.county_admin_b).get(reverse("api:programme-detail", args=[city.pk])).status_code == 200
    refused = api(world.county_admin_b).post(url, {"data": {"term_months": 6}}, format="json")
    assert refused.status_code == 403
    assert ProgrammeRules.objects.filter(programme=city).count() == 1


def test_rules_versions(world, prog):
    url = reverse("api:programme-rules", args=[prog.pk])
    admin = api(world.county_admin_a)
    written = admin.post(
        url, {"data": {"term_months": 24, "capacity_by_tier": {"village": 4}}, "note": "延长"}, format="json"
    )
    assert written.status_code == 201, written.content
    assert written.json()["version"] == 2 and written.json()["data"]["capacity_by_tier"]["village"] == 4
    assert written.json()["created_by"] == str(world.county_admin_a)
    unchanged = admin.post(url, {"data": {"term_months": 24}}, format="json")
    assert unchanged.status_code == 200 and unchanged.json()["version"] == 2

    history = api(world.auditor).get(url)
    assert [v["version"] for v in history.json()] == [2, 1]
    assert history.json()[1]["data"]["term_months"] == 12  # the past is never rewritten

    too_long = admin.post(url, {"data": {"term_months": 40}}, format="json")
    assert too_long.status_code == 400 and "term_months" in errors(too_long)
    bad_tier = admin.post(url, {"data": {"capacity_by_tier": {"galactic": 3}}}, format="json")
    assert bad_tier.status_code == 400 and "data.capacity_by_tier" in errors(bad_tier)
    assert api(world.auditor).post(url, {"data": {"term_months": 6}}, format="json").status_code == 403
    assert api(world.township_a).post(url, {"data": {"term_months": 6}}, format="json").status_code == 403
    assert api(world.county_admin_b).get(url).status_code == 404
    assert ProgrammeRules.objects.filter(programme=prog).count() == 2


def test_summary_counts_what_the_caller_may_see(world, prog, paired):
    admin = world.county_admin_a
    pool.apprentice(admin, prog)
    mentor_services = __import__("bangdai.mentors.services", fromlist=["nominate"])
    mentor_services.nominate(
        actor=admin,
        programme=prog,
        person=PersonFactory(region=region("330523105201")),
        tier="township",
    )
    url = reverse("api:programme-summary", args=[prog.pk])
    body = api(admin).get(url).json()
    assert body["mentors_by_tier"] == {
        "provincial": 0,
        "municipal": 0,
        "county": 0,
        "township": 1,
        "village": 1,
    }
    assert body["mentors_by_status"]["active"] == 1 and body["mentors_by_status"]["submitted"] == 1
    assert body["free_places"] == 2  # a village mentor holds 3 places, one is taken by the proposal
    assert body["unpaired_apprentices"] == 1 and body["apprentices_by_status"]["paired"] == 1
    assert body["pairings_by_status"]["proposed"] == 1
    # The township sees only its part: the nominee from 孝丰镇 is outside it.
    township = api(world.township_a).get(url).json()
    assert township["mentors_by_tier"]["township"] == 0 and township["mentors_by_tier"]["village"] == 1
    assert api(world.county_admin_b).get(url).status_code == 404


# ---------------------------------------------------------------- mentors


def test_mentor_workflow_through_the_api(world, prog):
    admin, township = api(world.county_admin_a), api(world.township_a)
    nominated = township.post(
        "/api/mentors/",
        {
            "programme": prog.pk,
            "person": world.mentor_person.pk,
            "tier": "village",
            "titles": ["qianming_hao_zhishu"],
            "qianming_batch": 2,
            "expertise": ["common_prosperity", "party_building"],
            "specialties": ["茶产业"],
            "recommending_unit": "上墅乡党委",
        },
        format="json",
    )
    assert nominated.status_code == 201, nominated.content
    mentor = nominated.json()
    assert (mentor["status"], mentor["capacity"], mentor["nominated_via"]) == ("submitted", 3, "org")
    assert mentor["name"] == "陈导师" and mentor["region"] == "330523205202"
    assert mentor["expertise"] == ["party_building", "common_prosperity"]  # in the brief's order
    assert_no_personal_data(nominated, world.mentor_person)
    transition = reverse("api:mentor-transition", args=[mentor["id"]])

    recommended = township.post(transition, {"action": "recommend"}, format="json")
    assert recommended.status_code == 200 and recommended.json()["status"] == "unit_recommended"
    assert (
        township.post(transition, {"action": "vet"}, format="json").status_code == 403
    )  # the department's step
    assert api(world.auditor).post(transition, {"action": "vet"}, format="json").status_code == 403
    assert api(world.county_admin_b).post(transition, {"action": "vet"}, format="json").status_code == 404
    assert api(world.mentor).post(transition, {"action": "vet"}, format="json").status_code == 403
    assert Mentor.objects.get(pk=mentor["id"]).status == "unit_recommended"

    detail = admin.get(reverse("api:mentor-detail", args=[mentor["id"]])).json()
    assert [a["action"] for a in detail["allowed_actions"]] == ["vet", "reject"]
    for step in ("vet", "review", "publicise"):
        response = admin.post(transition, {"action": step}, format="json")
        assert response.status_code == 200, response.content
    assert response.json()["status"] == "publicity" and response.json()["publicity_end"]

    early = admin.post(transition, {"action": "appoint"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert early.status_code == 400 and "publicity period" in errors(early)["non_field_errors"][0]

    objections = reverse("api:mentor-objections", args=[mentor["id"]])
    assert township.post(objections, {"content": "群众反映"}, format="json").status_code == 403
    blank = admin.post(objections, {"content": ""}, format="json")
    assert blank.status_code == 400 and errors(blank)["content"] == ["该字段不能为空。"]
    objection = admin.post(objections, {"content": "群众反映作风问题", "raised_by": "村民"}, format="json")
    assert objection.status_code == 201 and objection.json()["resolved_at"] is None
    Mentor.objects.filter(pk=mentor["id"]).update(publicity_end=dt.date.today() - dt.timedelta(days=1))
    blocked = admin.post(transition, {"action": "appoint"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert blocked.status_code == 400 and "objection" in errors(blocked)["non_field_errors"][0]

    resolve = reverse("api:mentor-objection-resolve", args=[mentor["id"], objection.json()["id"]])
    assert api(world.county_admin_b).post(resolve, {"resolution": "x"}, format="json").status_code == 404
    missing = reverse("api:mentor-objection-resolve", args=[mentor["id"], 999999])
    assert admin.post(missing, {"resolution": "x"}, format="json").status_code == 404
    resolved = admin.post(resolve, {"resolution": "经核实不属实"}, format="json")
    assert resolved.status_code == 200 and resolved.json()["resolved_at"]
    assert admin.post(resolve, {"resolution": "again"}, format="json").status_code == 400

    appointed = admin.post(transition, {"action": "appoint"}, format="json")
    assert appointed.status_code == 200
    body = appointed.json()
    assert body["status"] == "active" and body["certificate_no"].startswith("330523-")
    assert [e["action"] for e in body["events"]] == [
        "nominate",
        "recommend",
        "vet",
        "review",
        "publicise",
        "objection",
        "appoint",
    ]
    assert body["events"][1]["actor"] == str(world.township_a)
    assert [o["resolution"] for o in body["objections"]] == ["经核实不属实"]

    no_reason = admin.post(transition, {"action": "suspend"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert no_reason.status_code == 400 and errors(no_reason) == {"reason": ["Give a reason."]}
    # The services' messages come in Chinese by default too.
    assert errors(admin.post(transition, {"action": "suspend"}, format="json")) == {
        "reason": ["请填写原因。"]
    }
    unknown = admin.post(transition, {"action": "promote"}, format="json")
    assert unknown.status_code == 400 and errors(unknown)["action"] == ["“promote” 不是合法选项。"]


def test_self_nomination(world, prog):
    me = api(world.mentor)
    body = {"programme": prog.pk, "person": world.mentor_person.pk, "tier": "village"}
    as_org = me.post("/api/mentors/", body, format="json")
    assert as_org.status_code == 403  # a mentor's account does not recommend anyone, itself included
    someone_else = me.post("/api/mentors/", {**body, "person": world.cadre_a.pk, "self_nomination": True})
    assert someone_else.status_code == 404  # a cadre the caller cannot see
    assert api(world.auditor).post("/api/mentors/", {**body, "self_nomination": True}).status_code == 403
    assert not Mentor.objects.exists()

    applied = me.post("/api/mentors/", {**body, "self_nomination": True}, format="json")
    assert applied.status_code == 201, applied.content
    assert applied.json()["nominated_via"] == "self"
    # The cadre sees their own record, and no one else's.
    pool.appointed_mentor(world.county_admin_a, prog)
    assert [m["id"] for m in me.get("/api/mentors/").json()["results"]] == [applied.json()["id"]]
    again = me.post(
        "/api/mentors/", {**body, "self_nomination": True}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert again.status_code == 400
    assert errors(again) == {"person": ["This cadre is already in the programme's mentor pool."]}


def test_mentor_list_filters_scope_and_masking(world, prog):
    admin = world.county_admin_a
    village = pool.appointed_mentor(admin, prog, person=world.mentor_person)
    mentor_services = __import__("bangdai.mentors.services", fromlist=["nominate"])
    xiaofeng = mentor_services.nominate(actor=admin, programme=prog, person=world.cadre_a2, tier="township")
    other = pool.programme(admin, name="另一个项目")
    pool.appointed_mentor(admin, other)
    client = api(admin)

    def ids(**params):
        response = client.get("/api/mentors/", params)
        assert response.status_code == 200, response.content
        return {m["id"] for m in response.json()["results"]}

    assert ids(programme=prog.pk) == {village.pk, xiaofeng.pk}
    assert ids(programme=prog.pk, status="active") == {village.pk}
    assert ids(tier="township") == {xiaofeng.pk}
    assert ids(programme=prog.pk, region="330523105") == {xiaofeng.pk}
    assert ids(q="陈导") == {village.pk}
    assert client.get("/api/mentors/", {"region": "330521"}).status_code == 404
    bad = client.get("/api/mentors/", {"status": "famous"})
    assert bad.status_code == 400 and "status" in errors(bad)

    assert {m["id"] for m in api(world.township_a).get("/api/mentors/").json()["results"]} == {
        village.pk,
        *Mentor.objects.filter(programme=other).values_list("pk", flat=True),
    }
    assert api(world.county_admin_b).get("/api/mentors/").json()["count"] == 0
    assert api(world.county_admin_b).get(reverse("api:mentor-detail", args=[village.pk])).status_code == 404
    assert api().get("/api/mentors/").status_code in (401, 403)
    listing = api(world.auditor).get("/api/mentors/")
    assert listing.json()["count"] == 3
    assert_no_personal_data(listing, world.mentor_person, world.cadre_a2)
    assert_no_personal_data(client.get(reverse("api:mentor-detail", args=[village.pk])), world.mentor_person)


def test_mentor_profile_patch(world, prog, paired):
    mentor, _, _ = paired
    url = reverse("api:mentor-detail", args=[mentor.pk])
    changed = api(world.township_a).patch(url, {"capacity": 5, "specialties": ["调解"]}, format="json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["capacity"], changed.json()["specialties"]) == (5, ["调解"])
    assert changed.json()["tier"] == "village"
    too_few = api(world.county_admin_a).patch(url, {"capacity": 0}, format="json")
    assert too_few.status_code == 400 and "capacity" in errors(too_few)
    assert api(world.auditor).patch(url, {"capacity": 9}, format="json").status_code == 403
    assert api(world.mentor).patch(url, {"capacity": 9}, format="json").status_code == 403
    assert api(world.county_admin_b).patch(url, {"capacity": 9}, format="json").status_code == 404
    assert api(world.county_admin_a).put(url, {"capacity": 9}, format="json").status_code == 405
    assert Mentor.objects.get(pk=mentor.pk).capacity == 5
    assert MentorEvent.objects.filter(mentor=mentor, action="edit").count() == 1


# ---------------------------------------------------------------- apprentices


def test_apprentice_register_update_and_scope(world, prog):
    body = {
        "programme": prog.pk,
        "person": world.apprentice_person.pk,
        "categories": ["new_village_secretary"],
        "needs": ["governance_harmony"],
        "three_gates": True,
    }
    assert api(world.auditor).post("/api/apprentices/", body, format="json").status_code == 403
    assert api(world.apprentice).post("/api/apprentices/", body, format="json").status_code == 403
    assert api().post("/api/apprentices/", body, format="json").status_code in (401, 403)
    hidden = api(world.county_admin_b).post("/api/apprentices/", body, format="json")
    assert hidden.status_code == 404  # neither programme nor cadre is visible
    assert not Apprentice.objects.exists()

    registered = api(world.township_a).post("/api/apprentices/", body, format="json")
    assert registered.status_code == 201, registered.content
    data = registered.json()
    assert (data["name"], data["status"], data["region"]) == ("吴徒弟", "eligible", "330523205201")
    assert_no_personal_data(registered, world.apprentice_person)
    twice = api(world.township_a).post("/api/apprentices/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert errors(twice) == {"person": ["This cadre is already registered as an apprentice."]}

    url = reverse("api:apprentice-detail", args=[data["id"]])
    patched = api(world.county_admin_a).patch(
        url, {"needs": ["party_building"], "note": "重点培养"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["needs"] == ["party_building"]
    assert patched.json()["categories"] == ["new_village_secretary"]
    empty = api(world.county_admin_a).patch(url, {"categories": []}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert errors(empty) == {"categories": ["Choose at least one category."]}
    bad = api(world.county_admin_a).patch(url, {"categories": ["astronaut"]}, format="json")
    assert bad.status_code == 400 and any(attr.startswith("categories") for attr in errors(bad))
    assert api(world.auditor).patch(url, {"note": "x"}, format="json").status_code == 403
    assert api(world.county_admin_b).patch(url, {"note": "x"}, format="json").status_code == 404
    assert api(world.county_admin_b).get(url).status_code == 404
    assert api(world.apprentice).get(url).status_code == 200  # their own record
    assert api(world.mentor).get(url).status_code == 404
    assert Apprentice.objects.get().note == "重点培养"


def test_apprentice_age_ceiling_and_filters(world, prog):
    old = PersonFactory(
        region=region("330523205201"), birth_date=dt.date(1970, 1, 1), entry_date=dt.date(2000, 1, 1)
    )
    body = {"programme": prog.pk, "person": old.pk, "categories": ["village_cadre"]}
    refused = api(world.county_admin_a).post("/api/apprentices/", body, format="json")
    assert refused.status_code == 400 and "person" in errors(refused)
    a = pool.apprentice(world.county_admin_a, prog)
    b = pool.apprentice(world.county_admin_a, prog, person=world.cadre_a2, three_gates=True)
    client = api(world.county_admin_a)
    assert {r["id"] for r in client.get("/api/apprentices/", {"region": "330523205"}).json()["results"]} == {
        a.pk
    }
    assert {r["id"] for r in client.get("/api/apprentices/", {"three_gates": "true"}).json()["results"]} == {
        b.pk
    }
    assert client.get("/api/apprentices/", {"status": "paired"}).json()["count"] == 0
    assert client.get("/api/apprentices/", {"q": world.cadre_a2.name}).json()["count"] == 1
    assert api(world.township_a).get("/api/apprentices/").json()["count"] == 1


# ---------------------------------------------------------------- pairings


def test_pairing_workflow_through_the_api(world, prog):
    admin = world.county_admin_a
    mentor = pool.appointed_mentor(admin, prog, person=world.mentor_person)
    apprentice = pool.apprentice(admin, prog, person=world.apprentice_person, three_gates=True)
    body = {"apprentice": apprentice.pk, "mentors": [mentor.pk], "note": "就近结对"}
    assert api(world.auditor).post("/api/pairings/", body, format="json").status_code == 403
    assert api(world.mentor).post("/api/pairings/", body, format="json").status_code == 403
    assert api(world.county_admin_b).post("/api/pairings/", body, format="json").status_code == 404
    assert not Pairing.objects.exists()

    proposed = api(world.township_a).post("/api/pairings/", body, format="json")
    assert proposed.status_code == 201, proposed.content
    pairing = proposed.json()
    assert pairing["status"] == "proposed" and pairing["apprentice_name"] == "吴徒弟"
    assert pairing["mentors"] == [
        {"mentor": mentor.pk, "name": "陈导师", "is_primary": True, "confirmed_at": None}
    ]
    assert_no_personal_data(proposed, world.mentor_person, world.apprentice_person)
    url = lambda name: reverse(f"api:pairing-{name}", args=[pairing["id"]])  # noqa: E731

    assert api(world.county_admin_a).post(url("confirm")).status_code == 403  # the parties confirm
    assert api(world.auditor).post(url("confirm")).status_code == 403
    by_mentor = api(world.mentor).post(url("confirm"))
    assert by_mentor.status_code == 200 and by_mentor.json()["status"] == "proposed"
    assert by_mentor.json()["mentors"][0]["confirmed_at"]
    twice = api(world.mentor, "en").post(url("confirm"))
    assert errors(twice) == {"non_field_errors": ["You have already confirmed this pairing."]}
    # A cadre with an account sees their own pairing, and confirms it through it.
    assert api(world.apprentice).get("/api/pairings/").json()["count"] == 1
    confirmed = api(world.apprentice).post(url("confirm"))
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"

    sign = {"signed_on": str(dt.date.today()), "ceremony_place": "上墅乡师说馆", "witnesses": ["乡党委书记"]}
    assert api(world.auditor).post(url("sign"), sign, format="json").status_code == 403
    assert api(world.mentor).post(url("sign"), sign, format="json").status_code == 403
    assert api(world.county_admin_b).post(url("sign"), sign, format="json").status_code == 404
    future = api(world.township_a, "en").post(
        url("sign"), {**sign, "signed_on": str(dt.date.today() + dt.timedelta(days=3)), "witnesses": []}
    )
    assert errors(future) == {
        "signed_on": ["The signing date cannot be in the future."],
        "witnesses": ["Name at least one witness."],
    }
    signed = api(world.township_a).post(url("sign"), sign, format="json")
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "active" and "陈导师" in signed.json()["pledge_text"]

    too_long = api(admin, "en").post(url("extend"), {"months": 30, "reason": "再延"}, format="json")
    assert too_long.status_code == 400 and "36" in errors(too_long)["months"][0]
    extended = api(admin).post(url("extend"), {"months": 6, "reason": "消薄任务未完成"}, format="json")
    assert (extended.json()["status"], extended.json()["term_months"]) == ("extended", 18)

    assert api(world.auditor).post(url("complete"), {}, format="json").status_code == 403
    completed = api(admin).post(url("complete"), {"note": "考核优秀"}, format="json")
    assert completed.status_code == 200 and completed.json()["status"] == "completed"
    assert [e["action"] for e in completed.json()["events"]] == [
        "propose",
        "confirm",
        "confirm",
        "confirmed",
        "sign",
        "extend",
        "complete",
    ]
    after = api(admin).get(reverse("api:mentor-detail", args=[mentor.pk])).json()
    assert after["load"] == 0
    assert (
        api(admin).get(reverse("api:apprentice-detail", args=[apprentice.pk])).json()["status"] == "graduated"
    )
    late = api(admin, "en").post(url("terminate"), {"reason": "x"}, format="json")
    assert late.status_code == 400 and "just been changed" in errors(late)["non_field_errors"][0]


def test_decline_terminate_and_repair(world, prog, paired):
    admin = world.county_admin_a
    mentor, apprentice, pairing = paired
    url = lambda name, pk=pairing.pk: reverse(f"api:pairing-{name}", args=[pk])  # noqa: E731

    missing = api(world.mentor).post(url("decline"), {}, format="json")
    assert missing.status_code == 400 and errors(missing) == {"reason": ["该字段是必填项。"]}
    english = api(world.mentor, "en").post(url("decline"), {"reason": ""}, format="json")
    assert errors(english) == {"reason": ["This field may not be blank."]}
    assert api(world.auditor).post(url("decline"), {"reason": "x"}, format="json").status_code == 403
    assert api(world.county_admin_b).post(url("decline"), {"reason": "x"}, format="json").status_code == 404
    declined = api(world.mentor).post(url("decline"), {"reason": "精力有限"}, format="json")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"

    again = api(admin).post(
        "/api/pairings/", {"apprentice": apprentice.pk, "mentors": [mentor.pk]}, format="json"
    )
    assert again.status_code == 201
    second = pool.appointed_mentor(admin, prog)
    moved = api(admin).post(
        url("repair", again.json()["id"]), {"mentors": [second.pk], "reason": "调任"}, format="json"
    )
    assert moved.status_code == 201, moved.content
    assert (
        moved.json()["replaces"] == again.json()["id"] and moved.json()["mentors"][0]["mentor"] == second.pk
    )
    assert Pairing.objects.get(pk=again.json()["id"]).status == "terminated"

    assert api(world.auditor).post(url("terminate", moved.json()["id"]), {"reason": "x"}).status_code == 403
    ended = api(world.township_a).post(
        url("terminate", moved.json()["id"]), {"reason": "本人辞职"}, format="json"
    )
    assert ended.status_code == 200 and ended.json()["end_reason"] == "本人辞职"
    mentor.refresh_from_db()
    second.refresh_from_db()
    assert (mentor.load, second.load) == (0, 0)


def test_proposal_errors_name_the_field(world, prog):
    admin = world.county_admin_a
    full = pool.appointed_mentor(admin, prog, capacity=1)
    pairing_services.propose(actor=admin, apprentice=pool.apprentice(admin, prog), mentors=[full])
    apprentice = pool.apprentice(admin, prog)
    client = api(admin, "en")
    response = client.post(
        "/api/pairings/", {"apprentice": apprentice.pk, "mentors": [full.pk]}, format="json"
    )
    assert response.status_code == 400
    assert "no free place left (1 of 1 taken)" in errors(response)["mentors"][0]
    unknown = client.post("/api/pairings/", {"apprentice": apprentice.pk, "mentors": [999999]}, format="json")
    assert set(errors(unknown)) == {"mentors"}
    chinese = api(admin).post("/api/pairings/", {"mentors": []}, format="json")
    assert errors(chinese)["apprentice"] == ["该字段是必填项。"]
    b_mentor = pool.appointed_mentor(
        world.county_admin_b,
        pool.programme(world.county_admin_b, code="330521", name="德清"),
        person=PersonFactory(region=region("330521002201")),
    )
    hidden = client.post(
        "/api/pairings/", {"apprentice": apprentice.pk, "mentors": [b_mentor.pk]}, format="json"
    )
    assert hidden.status_code == 404
    assert Pairing.objects.count() == 1


def test_pairing_list_filters_and_scope(world, prog, paired):
    admin = world.county_admin_a
    mentor, apprentice, pairing = paired
    other_mentor = pool.appointed_mentor(admin, prog)
    other = pairing_services.propose(
        actor=admin,
        apprentice=pool.apprentice(admin, prog, person=world.cadre_a2, three_gates=True),
        mentors=[other_mentor],
    )
    client = api(admin)

    def ids(user=admin, **params):
        response = api(user).get("/api/pairings/", params)
        assert response.status_code == 200, response.content
        return {p["id"] for p in response.json()["results"]}

    assert ids() == {pairing.pk, other.pk}
    assert ids(mentor=mentor.pk) == {pairing.pk}
    assert ids(apprentice=other.apprentice_id) == {other.pk}
    assert ids(region="330523105") == {other.pk}
    assert ids(status="active") == set()
    assert ids(programme=prog.pk, status="proposed") == {pairing.pk, other.pk}
    assert ids(world.township_a) == {pairing.pk}
    assert ids(world.mentor) == {pairing.pk}
    assert ids(world.apprentice) == {pairing.pk}
    assert ids(world.auditor) == {pairing.pk, other.pk}
    assert ids(world.county_admin_b) == set()
    assert client.get("/api/pairings/", {"region": "330521"}).status_code == 404
    assert api(world.county_admin_b).get(reverse("api:pairing-detail", args=[pairing.pk])).status_code == 404
    assert api(world.mentor).get(reverse("api:pairing-detail", args=[other.pk])).status_code == 404
    assert api().get("/api/pairings/").status_code in (401, 403)
    detail = api(world.mentor).get(reverse("api:pairing-detail", args=[pairing.pk]))
    assert detail.status_code == 200 and [e["action"] for e in detail.json()["events"]] == ["propose"]
    assert_no_personal_data(detail, world.mentor_person, world.apprentice_person)


# ---------------------------------------------------------------- conflicts


def test_conflicts_are_declared_scoped_and_block_proposals(world, prog):
    admin = world.county_admin_a
    mentor = pool.appointed_mentor(admin, prog, person=world.mentor_person)
    apprentice = pool.apprentice(admin, prog, person=world.apprentice_person, three_gates=True)
    body = {
        "mentor_person": world.mentor_person.pk,
        "apprentice_person": world.apprentice_person.pk,
        "kind": "household",
    }
    assert api(world.auditor).post("/api/conflicts/", body, format="json").status_code == 403
    assert api(world.mentor).post("/api/conflicts/", body, format="json").status_code == 403
    assert api().post("/api/conflicts/", body, format="json").status_code in (401, 403)
    hidden = api(world.county_admin_b).post("/api/conflicts/", body, format="json")
    assert hidden.status_code == 404
    bad_kind = api(admin).post("/api/conflicts/", {**body, "kind": "enemy"}, format="json")
    assert errors(bad_kind) == {"kind": ["“enemy” 不是合法选项。"]}
    bad_kind_en = api(admin, "en").post("/api/conflicts/", {**body, "kind": "enemy"}, format="json")
    assert errors(bad_kind_en) == {"kind": ['"enemy" is not a valid choice.']}
    same = api(admin, "en").post("/api/conflicts/", {**body, "apprentice_person": world.mentor_person.pk})
    assert errors(same) == {"non_field_errors": ["Choose two different cadres."]}
    assert not ConflictDeclaration.objects.exists()

    declared = api(world.township_a).post("/api/conflicts/", {**body, "note": "夫妻"}, format="json")
    assert declared.status_code == 201, declared.content
    data = declared.json()
    assert (data["mentor_name"], data["apprentice_name"], data["kind"]) == ("陈导师", "吴徒弟", "household")
    assert_no_personal_data(declared, world.mentor_person, world.apprentice_person)

    url = reverse("api:conflict-detail", args=[data["id"]])
    assert api(world.auditor).get(url).status_code == 200
    assert api(world.county_admin_b).get(url).status_code == 404
    assert api(world.county_admin_b).get("/api/conflicts/").json()["count"] == 0
    assert api(admin).get("/api/conflicts/", {"person": world.apprentice_person.pk}).json()["count"] == 1
    assert api(admin).get("/api/conflicts/", {"person": world.cadre_a.pk}).json()["count"] == 0
    assert api(admin).patch(url, {"note": "x"}, format="json").status_code == 405

    refused = api(admin, "en").post("/api/pairings/", {"apprentice": apprentice.pk, "mentors": [mentor.pk]})
    assert refused.status_code == 400 and "conflict of interest" in errors(refused)["mentors"][0]
    assert not PairingEvent.objects.exists()


# ---------------------------------------------------------------- query counts

# Pinned: a change here is a change in how many queries an API list needs, whatever its length.
QUERIES = {
    "/api/programmes/": 5,  # session, user, scope, count, rows (current rules version by subquery)
    "/api/mentors/": 5,  # session, user, scope, count, rows with programme, cadre and region
    "/api/apprentices/": 5,  # session, user, scope, count, rows with programme, cadre and region
    "/api/pairings/": 6,  # session, user, scope, count, rows, prefetched mentors with their cadres
    "/api/conflicts/": 5,  # session, user, scope, count, rows with both cadres and the declarer
}


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx)


def fill(url: str, admin, start: int, n: int) -> None:
    """Add n rows to the list at url (with a mix of regions, and teams of two mentors among the pairings)."""
    from bangdai.mentors import services as mentor_services

    villages = [region(code) for code in ("330523205201", "330523205202", "330523105201")]
    people = [
        PersonFactory(region=villages[i % 3], birth_date=dt.date(1995, 1, 1)) for i in range(start, start + n)
    ]
    if url == "/api/programmes/":
        for i in range(start, start + n):
            pool.programme(admin, name=f"项目{i}")
        return
    prog = Programme.objects.filter(name="计数项目").first() or pool.programme(
        admin, name="计数项目", max_mentors_per_apprentice=2
    )
    if url == "/api/mentors/":
        for person in people:
            mentor_services.nominate(actor=admin, programme=prog, person=person, tier="village")
    elif url == "/api/apprentices/":
        for person in people:
            pool.apprentice(admin, prog, person=person)
    elif url == "/api/pairings/":
        mentors = list(Mentor.objects.filter(programme=prog)) or [
            pool.appointed_mentor(admin, prog, capacity=100) for _ in range(2)
        ]
        for i, person in enumerate(people):
            team = mentors if i % 2 else mentors[:1]
            pairing_services.propose(
                actor=admin, apprentice=pool.apprentice(admin, prog, person=person), mentors=team
            )
    elif url == "/api/conflicts/":
        mentor_person = PersonFactory(region=villages[1])
        for person in people:
            pairing_services.declare_conflict(
                actor=admin, mentor_person=mentor_person, apprentice_person=person, kind=ConflictKind.OTHER
            )


@pytest.mark.parametrize("url", list(QUERIES))
def test_lists_run_a_fixed_number_of_queries(client, url):
    admin = user_with_role("qc_admin", Role.ORG_ADMIN, "330523")
    client.force_login(admin)
    client.get("/")  # warm per-process caches (content types, templates)
    fill(url, admin, 0, 5)
    small = count_queries(client, url)
    fill(url, admin, 5, 45)
    assert client.get(url).json()["count"] == 50
    large = count_queries(client, url)
    assert (small, large) == (QUERIES[url], QUERIES[url])


# ---------------------------------------------------------------- schema

OUR_VIEWSETS = ("ProgrammeViewSet", "MentorViewSet", "ApprenticeViewSet", "PairingViewSet", "ConflictViewSet")


def test_schema_documents_the_pool_endpoints_without_warnings(client, world):
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    client.force_login(world.county_admin_a)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    warnings = list(GENERATOR_STATS._warn_cache) + list(GENERATOR_STATS._error_cache)
    ours = [w for w in warnings if any(name in w for name in OUR_VIEWSETS) or "enum" in w.lower()]
    assert not ours, ours

    paths = schema["paths"]
    for path, method, codes in [
        ("/api/programmes/", "post", {"201", "400", "403"}),
        ("/api/programmes/{id}/rules/", "post", {"201", "400", "403", "404"}),
        ("/api/programmes/{id}/summary/", "get", {"200", "404"}),
        ("/api/mentors/", "get", {"200", "400", "403"}),
        ("/api/mentors/{id}/", "patch", {"200", "400", "403", "404"}),
        ("/api/mentors/{id}/transition/", "post", {"200", "400", "403", "404"}),
        ("/api/mentors/{id}/objections/{objection_id}/resolve/", "post", {"200", "400", "404"}),
        ("/api/apprentices/", "post", {"201", "400", "403"}),
        ("/api/pairings/{id}/confirm/", "post", {"200", "400", "403", "404"}),
        ("/api/pairings/{id}/repair/", "post", {"201", "400", "403", "404"}),
        ("/api/conflicts/", "post", {"201", "400", "403"}),
    ]:
        assert codes <= set(paths[path][method]["responses"]), (path, method)
    assert "delete" not in paths["/api/mentors/{id}/"] and "put" not in paths["/api/mentors/{id}/"]
    assert set(paths["/api/pairings/{id}/"]) == {"get", "parameters"} or set(
        paths["/api/pairings/{id}/"]
    ) == {"get"}
    assert "MentorStatusEnum" in schema["components"]["schemas"]
    assert "PairingStatusEnum" in schema["components"]["schemas"]


def test_steps_out_of_order_are_refused_not_crashed(world, prog, paired):
    _, _, pairing = paired
    url = lambda name: reverse(f"api:pairing-{name}", args=[pairing.pk])  # noqa: E731
    admin = api(world.county_admin_a)
    # A proposal has not started: it can be neither extended nor graduated.
    assert admin.post(url("extend"), {"months": 3, "reason": "延期"}).status_code == 400
    assert admin.post(url("complete"), {}).status_code == 400
    sign = {"signed_on": str(dt.date.today()), "ceremony_place": "师说馆", "witnesses": ["书记"]}
    assert admin.post(url("sign"), sign).status_code == 400
    assert Pairing.objects.get(pk=pairing.pk).status == "proposed"
    assert not PairingEvent.objects.filter(pairing=pairing).exclude(action="propose").exists()
