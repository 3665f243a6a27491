"""The pairing workflow and its guards: capacity, self-pairing, conflicts, terms, and two admins at once."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from bangdai.apprentices.choices import ApprenticeStatus
from bangdai.apprentices.models import Apprentice
from bangdai.pairings import services
from bangdai.pairings.choices import ConflictKind, PairingAction, PairingStatus
from bangdai.pairings.models import Pairing, PairingEvent

from . import pool
from .factories import PersonFactory, region, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # The assertions below read the services' messages in English.
    with translation.override("en"):
        yield


def _account_for(person, role, code):
    return user_with_role(f"u{person.pk}", role, code, person=person)


def test_proposal_to_graduation(world):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    mentor = pool.appointed_mentor(admin, prog, person=world.mentor_person)
    apprentice = pool.apprentice(admin, prog, person=world.apprentice_person, three_gates=True)

    pairing = services.propose(actor=admin, apprentice=apprentice, mentors=[mentor])
    mentor.refresh_from_db()
    assert (pairing.status, mentor.load) == (PairingStatus.PROPOSED, 1)
    assert Apprentice.objects.get(pk=apprentice.pk).status == ApprenticeStatus.PAIRED
    assert pairing.rules_version == 1 and pairing.term_months == 12

    # The admin cannot confirm for the parties; each confirms in their own workspace.
    with pytest.raises(PermissionDenied):
        services.confirm(actor=admin, pairing=pairing)
    pairing = services.confirm(actor=world.mentor, pairing=pairing)
    assert pairing.status == PairingStatus.PROPOSED
    with pytest.raises(ValidationError):
        services.confirm(actor=world.mentor, pairing=pairing)
    pairing = services.confirm(actor=world.apprentice, pairing=pairing)
    assert pairing.status == PairingStatus.CONFIRMED

    signed = dt.date.today() - dt.timedelta(days=1)
    pairing = services.sign_pledge(
        actor=world.township_a,
        pairing=pairing,
        signed_on=signed,
        ceremony_place="上墅乡师说馆",
        witnesses=["乡党委书记"],
    )
    assert pairing.status == PairingStatus.ACTIVE and pairing.start_date == signed
    assert "陈导师" in pairing.pledge_text
    assert pairing.planned_end_date.month == signed.month and pairing.planned_end_date.year == signed.year + 1

    pairing = services.extend(actor=admin, pairing=pairing, months=6, reason="消薄任务未完成")
    assert (pairing.status, pairing.term_months) == (PairingStatus.EXTENDED, 18)
    with pytest.raises(ValidationError) as info:
        services.extend(actor=admin, pairing=pairing, months=24, reason="再延")
    assert "36" in str(info.value)

    pairing = services.complete(actor=admin, pairing=pairing)
    mentor.refresh_from_db()
    assert (pairing.status, mentor.load) == (PairingStatus.COMPLETED, 0)
    assert Apprentice.objects.get(pk=apprentice.pk).status == ApprenticeStatus.GRADUATED
    actions = list(PairingEvent.objects.filter(pairing=pairing).values_list("action", flat=True))
    assert actions == [
        PairingAction.PROPOSE,
        PairingAction.CONFIRM,
        PairingAction.CONFIRM,
        PairingAction.CONFIRMED,
        PairingAction.SIGN,
        PairingAction.EXTEND,
        PairingAction.COMPLETE,
    ]


def test_capacity_self_pairing_and_conflicts_are_refused(world):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    mentor = pool.appointed_mentor(admin, prog, capacity=1)
    first = pool.apprentice(admin, prog)
    second = pool.apprentice(admin, prog)
    services.propose(actor=admin, apprentice=first, mentors=[mentor])
    with pytest.raises(ValidationError) as info:
        services.propose(actor=admin, apprentice=second, mentors=[mentor])
    assert "1 of 1" in str(info.value) or "1" in str(info.value)
    assert Pairing.objects.filter(apprentice=second).count() == 0

    # A mentor registered as an apprentice too cannot mentor themselves.
    twin = pool.apprentice(admin, prog, person=mentor.person, three_gates=True)
    mentor_b = pool.appointed_mentor(admin, prog, person=PersonFactory(region=region("330523205202")))
    with pytest.raises(ValidationError, match="own mentor"):
        services.propose(actor=admin, apprentice=twin, mentors=[mentor])

    services.declare_conflict(
        actor=admin,
        mentor_person=mentor_b.person,
        apprentice_person=second.person,
        kind=ConflictKind.HOUSEHOLD,
    )
    with pytest.raises(ValidationError, match="conflict"):
        services.propose(actor=admin, apprentice=second, mentors=[mentor_b])
    mentor_b.refresh_from_db()
    assert mentor_b.load == 0


def test_team_needs_a_programme_that_allows_it(world):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    a, b = pool.appointed_mentor(admin, prog), pool.appointed_mentor(admin, prog)
    apprentice = pool.apprentice(admin, prog)
    with pytest.raises(ValidationError, match="at most 1"):
        services.propose(actor=admin, apprentice=apprentice, mentors=[a, b])
    team_prog = pool.programme(admin, name="孝丰镇链式帮带", max_mentors_per_apprentice=3)
    a2, b2 = pool.appointed_mentor(admin, team_prog), pool.appointed_mentor(admin, team_prog)
    pairing = services.propose(actor=admin, apprentice=pool.apprentice(admin, team_prog), mentors=[a2, b2])
    assert pairing.mode == "many_to_one" and pairing.members.count() == 2


def test_out_of_scope_admin_cannot_pair(world):
    prog = pool.programme(world.county_admin_a)
    mentor = pool.appointed_mentor(world.county_admin_a, prog)
    apprentice = pool.apprentice(world.county_admin_a, prog)
    with pytest.raises(PermissionDenied):
        services.propose(actor=world.county_admin_b, apprentice=apprentice, mentors=[mentor])
    with pytest.raises(PermissionDenied):
        services.propose(actor=world.auditor, apprentice=apprentice, mentors=[mentor])
    assert not Pairing.objects.exists()
    assert not Pairing.objects.visible_to(world.county_admin_b).exists()


def test_transfer_repairs_in_one_flow_and_keeps_history(world):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    old_mentor, new_mentor = pool.appointed_mentor(admin, prog), pool.appointed_mentor(admin, prog)
    apprentice = pool.apprentice(admin, prog)
    old = services.propose(actor=admin, apprentice=apprentice, mentors=[old_mentor])
    new = services.repair(actor=admin, pairing=old, mentors=[new_mentor], reason="调任孝丰镇")
    old.refresh_from_db()
    old_mentor.refresh_from_db()
    new_mentor.refresh_from_db()
    assert old.status == PairingStatus.TERMINATED and old.end_reason == "调任孝丰镇"
    assert new.replaces == old and new.status == PairingStatus.PROPOSED
    assert (old_mentor.load, new_mentor.load) == (0, 1)


def test_dismissing_a_mentor_ends_their_pairings(world):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    mentor = pool.appointed_mentor(admin, prog)
    pairing = services.propose(actor=admin, apprentice=pool.apprentice(admin, prog), mentors=[mentor])
    from bangdai.mentors import services as mentor_services

    mentor_services.transition(actor=admin, mentor=mentor, action="dismiss", reason="连续两个季度帮带不力")
    pairing.refresh_from_db()
    mentor.refresh_from_db()
    assert pairing.status == PairingStatus.TERMINATED and mentor.load == 0
    assert Apprentice.objects.get(pk=pairing.apprentice_id).status == ApprenticeStatus.ELIGIBLE
