"""Builders for programmes, mentors, apprentices and pairings in tests, through the real services."""

import datetime as dt

from bangdai.apprentices import services as apprentice_services
from bangdai.apprentices.choices import ApprenticeCategory
from bangdai.core.choices import ContentArea
from bangdai.mentors import services as mentor_services
from bangdai.mentors.choices import MentorAction, MentorTier
from bangdai.programmes import services as programme_services

from .factories import PersonFactory, region

APPOINT_STEPS = [MentorAction.RECOMMEND, MentorAction.VET, MentorAction.REVIEW, MentorAction.PUBLICISE]


def programme(actor, code="330523", name="安吉县2027年乡村年轻干部导师帮带", **rules):
    return programme_services.create_programme(
        actor=actor, name=name, region=region(code), year=2027, rules=rules or None
    )


def appointed_mentor(actor, prog, person=None, capacity=None, **profile):
    """A mentor taken through every step to appointment (publicity started two weeks ago)."""
    person = person or PersonFactory(region=region("330523205202"), birth_date=dt.date(1968, 5, 1))
    mentor = mentor_services.nominate(
        actor=actor,
        programme=prog,
        person=person,
        tier=profile.pop("tier", MentorTier.VILLAGE),
        expertise=profile.pop("expertise", [ContentArea.COMMON_PROSPERITY]),
        capacity=capacity,
        **profile,
    )
    long_ago = dt.date.today() - dt.timedelta(days=21)
    for action in APPOINT_STEPS:
        mentor = mentor_services.transition(
            actor=actor,
            mentor=mentor,
            action=action,
            on=long_ago if action == MentorAction.PUBLICISE else None,
        )
    return mentor_services.transition(actor=actor, mentor=mentor, action=MentorAction.APPOINT)


def apprentice(actor, prog, person=None, **data):
    person = person or PersonFactory(region=region("330523205201"), birth_date=dt.date(1996, 3, 5))
    return apprentice_services.register(
        actor=actor,
        programme=prog,
        person=person,
        categories=data.pop("categories", [ApprenticeCategory.NEW_VILLAGE_SECRETARY]),
        needs=data.pop("needs", [ContentArea.COMMON_PROSPERITY]),
        **data,
    )
