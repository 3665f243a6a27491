"""Concurrent writes from threads with committed transactions: places, approvals and confirmations happen once.

These run on SQLite (whose IMMEDIATE transactions serialise writers; select_for_update does nothing there) and on
PostgreSQL (row locks and compare-and-set updates) with the same assertions.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from bangdai.accounts.choices import Role
from bangdai.mentors import services as mentor_services
from bangdai.mentors.models import Mentor, MentorEvent
from bangdai.pairings import services
from bangdai.pairings.choices import PairingAction, PairingStatus
from bangdai.pairings.models import Pairing, PairingEvent

from . import pool
from .factories import PersonFactory, region, user_with_role

pytestmark = pytest.mark.django_db(transaction=True)


def _race(functions):
    """Run the functions at the same moment in threads; return what each raised or returned."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as error:  # noqa: BLE001  the outcome is what the test inspects
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_admins_take_the_last_place_at_once(threads_db):
    anji = user_with_role("anji2", Role.ORG_ADMIN, "330523")
    shangshu = user_with_role("shangshu2", Role.TOWNSHIP, "330523205")
    prog = pool.programme(anji)
    mentor = pool.appointed_mentor(anji, prog, capacity=1)
    first, second = pool.apprentice(anji, prog), pool.apprentice(anji, prog)

    results = _race(
        [
            lambda: services.propose(
                actor=anji, apprentice=first, mentors=[Mentor.objects.get(pk=mentor.pk)]
            ),
            lambda: services.propose(
                actor=shangshu, apprentice=second, mentors=[Mentor.objects.get(pk=mentor.pk)]
            ),
        ]
    )
    created = [r for r in results if isinstance(r, Pairing)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(created) == 1 and len(refused) == 1, results
    assert "no free place" in str(refused[0]) or "名额" in str(refused[0])
    mentor.refresh_from_db()
    assert mentor.load == 1 and Pairing.objects.count() == 1


def test_two_reviewers_approve_the_same_step_at_once(threads_db):
    anji = user_with_role("anji3", Role.ORG_ADMIN, "330523")
    huzhou = user_with_role("huzhou3", Role.ORG_ADMIN, "330500")
    prog = pool.programme(anji)
    mentor = mentor_services.nominate(
        actor=anji, programme=prog, person=PersonFactory(region=region("330523205202")), tier="village"
    )
    mentor = mentor_services.transition(actor=anji, mentor=mentor, action="recommend")
    results = _race(
        [
            lambda: mentor_services.transition(
                actor=anji, mentor=Mentor.objects.get(pk=mentor.pk), action="vet"
            ),
            lambda: mentor_services.transition(
                actor=huzhou, mentor=Mentor.objects.get(pk=mentor.pk), action="vet"
            ),
        ]
    )
    assert sum(isinstance(r, Mentor) for r in results) == 1, results
    assert sum(isinstance(r, ValidationError) for r in results) == 1, results
    assert MentorEvent.objects.filter(mentor=mentor, action="vet").count() == 1
    assert Mentor.objects.get(pk=mentor.pk).status == "vetting"


def test_both_parties_confirm_at_once(threads_db):
    anji = user_with_role("anji4", Role.ORG_ADMIN, "330523")
    prog = pool.programme(anji)
    mentor = pool.appointed_mentor(anji, prog)
    apprentice = pool.apprentice(anji, prog)
    m_user = _account_for(mentor.person, Role.MENTOR, "330523205202")
    a_user = _account_for(apprentice.person, Role.APPRENTICE, "330523205201")
    pairing = services.propose(actor=anji, apprentice=apprentice, mentors=[mentor])
    _race(
        [
            lambda: services.confirm(actor=m_user, pairing=Pairing.objects.get(pk=pairing.pk)),
            lambda: services.confirm(actor=a_user, pairing=Pairing.objects.get(pk=pairing.pk)),
        ]
    )
    assert Pairing.objects.get(pk=pairing.pk).status == PairingStatus.CONFIRMED
    assert PairingEvent.objects.filter(pairing=pairing, action=PairingAction.CONFIRMED).count() == 1


def _account_for(person, role, code):
    return user_with_role(f"u{person.pk}", role, code, person=person)


def test_two_admins_accept_overlapping_matching_runs_at_once(threads_db):
    from bangdai.matching import services as matching_services
    from bangdai.matching.choices import RunStatus
    from bangdai.matching.models import MatchRun

    anji = user_with_role("anji6", Role.ORG_ADMIN, "330523")
    shangshu = user_with_role("shangshu6", Role.TOWNSHIP, "330523205")
    prog = pool.programme(anji)
    mentor = pool.appointed_mentor(anji, prog, capacity=1)
    pool.apprentice(anji, prog)
    pool.apprentice(anji, prog, person=PersonFactory(region=region("330523205202")))
    runs = [
        matching_services.start(actor=actor, programme=prog, area=area, background=False)
        for actor, area in ((anji, region("330523")), (shangshu, region("330523205")))
    ]
    assert all(r.status == RunStatus.PROPOSED and r.pairs.count() == 1 for r in runs)

    results = _race(
        [
            lambda run=run, actor=actor: matching_services.accept(actor=actor, run=run, background=False)
            for run, actor in zip(runs, (anji, shangshu), strict=True)
        ]
    )
    accepted = [r for r in results if isinstance(r, MatchRun)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(accepted) == 1 and len(refused) == 1, results
    mentor.refresh_from_db()
    assert mentor.load == 1 and Pairing.objects.count() == 1
    assert sorted(MatchRun.objects.values_list("status", flat=True)) == [
        RunStatus.ACCEPTED,
        RunStatus.PROPOSED,
    ]
