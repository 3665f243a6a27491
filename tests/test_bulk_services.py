"""The batch service functions: the same checks, records and history as the per-record services, one error per
item instead of an exception at the first, and a query count that does not grow with the number of items."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bangdai.apprentices import services as apprentice_services
from bangdai.apprentices.choices import ApprenticeCategory
from bangdai.apprentices.models import Apprentice
from bangdai.core.choices import ContentArea
from bangdai.mentors import services as mentor_services
from bangdai.mentors.choices import MentorAction, MentorStatus, MentorTier, MentorTitle
from bangdai.mentors.models import Mentor, MentorEvent
from bangdai.people import services as people_services
from bangdai.people.choices import (
    CadreType,
    Education,
    Gender,
    HistoryAction,
    PoliticalStatus,
    Position,
)
from bangdai.people.models import Person, PersonChange
from bangdai.people.protection import blind_index
from bangdai.programmes.choices import ProgrammeStatus

from . import pool
from .factories import PersonFactory, make_id_number, region

pytestmark = pytest.mark.django_db


def cadre(i: int, village="330523205201", **over) -> dict:
    """The data of a new cadre, as the import or the form hands it to the services."""
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=97 * i)
    return {
        "name": f"批量{chr(0x4E00 + i)}",
        "gender": Gender.MALE,
        "birth_date": birth,
        "id_number": make_id_number(birth, Gender.MALE),
        "phone": f"1390000{i:04d}",
        "region": region(village),
        "org_unit": "上墅村党总支",
        "position": Position.PARTY_SECRETARY,
        "political_status": PoliticalStatus.PARTY_MEMBER,
        "education": Education.BACHELOR,
        "cadre_type": CadreType.VILLAGE_CADRE,
        "entry_date": dt.date(1990, 7, 1),
        **over,
    }


def profile(**over) -> dict:
    return {
        "tier": MentorTier.VILLAGE,
        "titles": [MentorTitle.QIANMING_HAO_ZHISHU, MentorTitle.XINGCUN_MINGSHI],
        "qianming_batch": 2,
        "expertise": [ContentArea.GOVERNANCE_HARMONY, ContentArea.COMMON_PROSPERITY],
        "specialties": [" 民宿 ", "", "茶叶"],
        **over,
    }


def codes(error: Exception) -> dict[str, list[str | None]]:
    """Field → error codes of a service's ValidationError (PermissionDenied: {"": ["denied"]})."""
    if isinstance(error, PermissionDenied):
        return {"": ["denied"]}
    assert isinstance(error, ValidationError)
    if hasattr(error, "error_dict"):
        return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}
    return {"": [e.code for e in error.error_list]}


@pytest.fixture
def programme(world):
    return pool.programme(world.county_admin_a)


def history(person: Person) -> list[tuple]:
    return [(c.action, c.actor_id, c.person_name, c.changes) for c in person.changes.order_by("id")]


def rolled_back(fn):
    """Run ``fn`` in a savepoint that is rolled back; its result."""
    with transaction.atomic():
        result = fn()
        transaction.set_rollback(True)
    return result


# --- cadres ---


def test_create_people_writes_what_create_person_writes(world):
    actor, data = world.county_admin_a, cadre(1)

    def one_by_one():
        person = people_services.create_person(actor=actor, data=dict(data))
        stored = Person.objects.select_related("region").get(pk=person.pk)
        return history(person), _fields(stored)

    single_history, single_fields = rolled_back(one_by_one)
    assert not Person.objects.filter(id_number_index=blind_index(data["id_number"])).exists()

    outcome = people_services.create_people(actor=actor, rows=[dict(data)])
    assert not outcome.failed
    person = Person.objects.select_related("region").get(pk=outcome.records[0].pk)
    assert history(person) == single_history
    assert single_history[0][0] == HistoryAction.CREATED
    changes = single_history[0][3]
    assert changes["id_number"][1] == data["id_number"][:4] + "*" * 10 + data["id_number"][-4:]
    assert changes["phone"][1] == "139****0001"
    assert _fields(person) == single_fields
    # Encrypted at rest with a nonce of its own, and found through the blind index.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM people_person WHERE id = %s", [person.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert data["id_number"] not in stored_id and "1390000" not in stored_phone
    assert Person.objects.get(id_number_index=blind_index(data["id_number"])) == person
    assert person.phone_index == blind_index(data["phone"])


def _fields(person: Person) -> dict:
    skip = {"id", "created_at", "updated_at"}
    return {
        f.attname: getattr(person, f.attname) for f in Person._meta.concrete_fields if f.attname not in skip
    }


def test_create_people_reports_each_row_and_writes_the_rest(world):
    actor = world.county_admin_a
    good = cadre(1)
    mismatch = cadre(2, birth_date=dt.date(1999, 9, 9), gender=Gender.FEMALE)
    existing = cadre(3, id_number=world.cadre_a.id_number, birth_date=world.cadre_a.birth_date)
    elsewhere = cadre(4, id_number=world.cadre_b.id_number, birth_date=world.cadre_b.birth_date)
    twin = cadre(
        5, id_number=good["id_number"], birth_date=good["birth_date"]
    )  # the same number as the first row of the batch
    outside = cadre(6, village="330521002201")
    # 德清县's cadre: the error does not link to a record the actor may not see.
    rows = [good, mismatch, existing, elsewhere, twin, outside]
    before = (Person.objects.count(), PersonChange.objects.count())

    outcome = people_services.create_people(actor=actor, rows=rows)

    errors = [codes(e) if e else None for e in outcome.errors]
    assert errors == [
        None,
        {"birth_date": ["birth_mismatch"], "gender": ["gender_mismatch"]},
        {"id_number": ["duplicate"]},
        {"id_number": ["duplicate_elsewhere"]},
        {"id_number": ["duplicate"]},
        {"": ["denied"]},
    ]
    # The twin's error links to the record its first row has just created.
    assert outcome.errors[4].error_dict["id_number"][0].params == {"id": outcome.records[0].pk}
    assert [r is not None for r in outcome.records] == [True, False, False, False, False, False]
    assert (Person.objects.count(), PersonChange.objects.count()) == (before[0] + 1, before[1] + 1)


def test_a_row_refused_for_scope_leaves_its_number_to_a_later_row(world):
    """As with create_person one row after another: a refused row writes nothing, so the number stays free."""
    outcome = people_services.create_people(
        actor=world.township_a,
        rows=[cadre(1, village="330523105201"), cadre(1, name="后来者")],
    )
    assert isinstance(outcome.errors[0], PermissionDenied)
    assert outcome.errors[1] is None and outcome.records[1].name == "后来者"


def test_create_people_queries_do_not_grow_with_rows(world):
    assert world.county_admin_a.scope  # loaded once per request, before the service runs

    def queries(n, offset):
        rows = [cadre(offset + i) for i in range(n)]
        with CaptureQueriesContext(connection) as captured:
            outcome = people_services.create_people(actor=world.county_admin_a, rows=rows)
        assert not outcome.failed
        return len(captured)

    assert queries(5, 100) == queries(40, 200) <= 7  # savepoints, one lookup, one insert per table


def test_update_people_writes_what_update_person_writes(world):
    actor, person = world.county_admin_a, world.cadre_a
    data = {"phone": "13700000001", "position": Position.PARTY_SECRETARY, "region": region("330523205202")}

    def one_by_one():
        fresh = Person.objects.select_related("region").get(pk=person.pk)
        people_services.update_person(actor=actor, person=fresh, data=dict(data))
        return history(fresh), _fields(Person.objects.get(pk=person.pk))

    single_history, single_fields = rolled_back(one_by_one)
    assert single_history[-1][3]["phone"][1] == "137****0001"

    fresh = Person.objects.select_related("region").get(pk=person.pk)
    outcome = people_services.update_people(actor=actor, items=[(fresh, dict(data))])
    assert not outcome.failed
    assert history(fresh) == single_history
    stored = Person.objects.get(pk=person.pk)
    assert _fields(stored) == single_fields
    assert stored.updated_at > person.updated_at
    assert Person.objects.get(phone_index=blind_index("13700000001")) == stored


def test_update_people_reports_each_item(world):
    actor = world.township_a  # 上墅乡 only
    a, a2, b = (
        Person.objects.select_related("region").get(pk=p.pk)
        for p in (world.cadre_a, world.cadre_a2, world.cadre_b)
    )
    mentor_person = Person.objects.select_related("region").get(pk=world.mentor_person.pk)
    apprentice_person = Person.objects.select_related("region").get(pk=world.apprentice_person.pk)
    items = [
        (a, {"name": "张新名"}),
        (a2, {"name": "不归我管"}),  # 孝丰镇: outside the township
        (b, {"name": "也不归我管"}),
        (mentor_person, {"region": region("330523105201")}),  # moved out of the township
        # another cadre's number (with the birth date it implies, or that check would speak first)
        (apprentice_person, {"id_number": world.cadre_a.id_number, "birth_date": world.cadre_a.birth_date}),
    ]
    outcome = people_services.update_people(actor=actor, items=items)
    assert [codes(e) if e else None for e in outcome.errors] == [
        None,
        {"": ["denied"]},
        {"": ["denied"]},
        {"": ["denied"]},
        {"id_number": ["duplicate"]},
    ]
    assert Person.objects.get(pk=world.cadre_a.pk).name == "张新名"
    assert Person.objects.get(pk=world.cadre_a2.pk).name == "李孝丰"
    assert Person.objects.get(pk=world.mentor_person.pk).region.code == "330523205202"
    assert world.cadre_a2.changes.count() == 0


# --- mentors ---


def test_nominate_many_writes_what_nominate_writes(world, programme):
    actor, person = world.county_admin_a, world.mentor_person

    def one_by_one():
        mentor = mentor_services.nominate(actor=actor, programme=programme, person=person, **profile())
        return _mentor(mentor), _events(mentor)

    single_mentor, single_events = rolled_back(one_by_one)
    assert not Mentor.objects.filter(programme=programme).exists()

    outcome = mentor_services.nominate_many(
        actor=actor, programme=programme, items=[{"person": person, **profile()}]
    )
    assert not outcome.failed
    mentor = Mentor.objects.get(pk=outcome.records[0].pk)
    assert _mentor(mentor) == single_mentor
    assert (
        _events(mentor)
        == single_events
        == [(MentorAction.NOMINATE, "", MentorStatus.SUBMITTED, actor.pk, "")]
    )
    assert mentor.capacity == programme.policy.capacity_for(MentorTier.VILLAGE)  # the policy's default
    assert mentor.specialties == ["民宿", "茶叶"]  # cleaned as nominate cleans them


def _mentor(mentor: Mentor) -> dict:
    skip = {"id", "created_at", "updated_at"}
    mentor = Mentor.objects.get(pk=mentor.pk)
    return {
        f.attname: getattr(mentor, f.attname) for f in Mentor._meta.concrete_fields if f.attname not in skip
    }


def _events(mentor: Mentor) -> list[tuple]:
    return [
        (e.action, e.from_status, e.to_status, e.actor_id, e.reason) for e in mentor.events.order_by("id")
    ]


def test_nominate_many_reports_each_item(world, programme):
    actor = world.township_a  # 上墅乡 only
    inside = PersonFactory(region=region("330523205202"))
    already = pool.appointed_mentor(world.county_admin_a, programme)  # in the pool before the batch
    items = [
        {"person": inside, **profile(capacity=4)},
        {"person": world.cadre_a2, **profile()},  # 孝丰镇: outside the township
        {"person": world.cadre_a, **profile(tier="宇宙级")},
        {"person": world.cadre_a, **profile(titles=[MentorTitle.QIANMING_HAO_ZHISHU], qianming_batch=None)},
        {"person": inside, **profile()},  # twice in the batch
        {"person": already.person, **profile()},
        {"person": world.apprentice_person, "region": region("330521002201"), **profile()},
    ]
    events_before = MentorEvent.objects.count()
    outcome = mentor_services.nominate_many(actor=actor, programme=programme, items=items)
    assert [codes(e) if e else None for e in outcome.errors] == [
        None,
        {"": ["denied"]},
        {"tier": [None]},
        {"qianming_batch": [None]},
        {"person": [None]},
        {"person": [None]},
        {"region": [None]},
    ]
    assert (
        outcome.errors[4].messages == outcome.errors[5].messages
    )  # "already in the programme's mentor pool"
    assert Mentor.objects.get(programme=programme, person=inside).capacity == 4
    assert Mentor.objects.filter(programme=programme).count() == 2
    assert MentorEvent.objects.count() == events_before + 1


def test_nominate_many_refuses_every_item_of_a_closed_programme(world, programme):
    programme.status = ProgrammeStatus.CLOSED
    programme.save()
    outcome = mentor_services.nominate_many(
        actor=world.county_admin_a,
        programme=programme,
        items=[{"person": world.cadre_a, **profile()}, {"person": world.cadre_a2, **profile()}],
    )
    assert all(
        programme.name in e.messages[0] and ("closed" in e.messages[0] or "已结束" in e.messages[0])
        for e in outcome.errors
    ), outcome.errors
    assert not Mentor.objects.filter(programme=programme).exists()


def test_nominate_many_queries_do_not_grow_with_items(world, programme):
    assert world.county_admin_a.scope and programme.policy  # loaded once per request

    def queries(n):
        people = [PersonFactory(region=region("330523205202")) for _ in range(n)]
        with CaptureQueriesContext(connection) as captured:
            outcome = mentor_services.nominate_many(
                actor=world.county_admin_a,
                programme=programme,
                items=[{"person": p, **profile()} for p in people],
            )
        assert not outcome.failed
        return len(captured)

    assert queries(3) == queries(30) <= 7  # savepoints, one lookup, one insert per table


# --- apprentices ---


def test_register_many_writes_what_register_writes_and_applies_the_age_rule(world, programme):
    actor = world.county_admin_a
    young = PersonFactory(region=region("330523205201"), birth_date=dt.date(1997, 4, 2))
    old = PersonFactory(
        region=region("330523205201"), birth_date=dt.date(1960, 4, 2), entry_date=dt.date(1980, 9, 1)
    )
    old_new_to_post = PersonFactory(
        region=region("330523205201"),
        birth_date=dt.date(1960, 5, 2),
        entry_date=dt.date.today() - dt.timedelta(days=200),
    )
    data = {"categories": [ApprenticeCategory.RESERVE_CADRE, ApprenticeCategory.NEW_VILLAGE_SECRETARY],
            "needs": [ContentArea.COMMON_PROSPERITY], "note": "备注"}  # fmt: skip

    def one_by_one():
        apprentice = apprentice_services.register(actor=actor, programme=programme, person=young, **data)
        return _apprentice(apprentice)

    single = rolled_back(one_by_one)
    items = [
        {"person": young, **data},
        {"person": old, **data},
        {"person": old_new_to_post, **data},
        {"person": old, **data, "three_gates": True},
        {"person": world.cadre_b, **data},  # 德清县
        {"person": young, **data},  # twice
        {"person": world.cadre_a},  # no category
    ]
    outcome = apprentice_services.register_many(actor=actor, programme=programme, items=items)
    assert [codes(e) if e else None for e in outcome.errors] == [
        None,
        {"person": [None]},  # too old
        None,
        None,  # 三门干部 are always eligible
        {"": ["denied"]},
        {"person": [None]},
        {"categories": [None]},
    ]
    assert _apprentice(outcome.records[0]) == single
    assert Apprentice.objects.filter(programme=programme).count() == 3


def _apprentice(apprentice: Apprentice) -> dict:
    skip = {"id", "created_at", "updated_at"}
    apprentice = Apprentice.objects.get(pk=apprentice.pk)
    return {
        f.attname: getattr(apprentice, f.attname)
        for f in Apprentice._meta.concrete_fields
        if f.attname not in skip
    }
