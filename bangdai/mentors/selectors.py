"""Reads about mentors: who may do what on a mentor's page, and the mentors a proposal may choose."""

from bangdai.programmes.choices import ProgrammeStatus
from bangdai.programmes.models import Programme

from .models import Mentor


def can_edit(user, mentor: Mentor) -> bool:
    return user.scope.edits(mentor.region.path)


def can_handle_objections(user, mentor: Mentor) -> bool:
    return user.scope.administers(mentor.region.path)


def open_programmes(user):
    return Programme.objects.visible_to(user).filter(status=ProgrammeStatus.OPEN).select_related("region")


def self_nomination_programmes(user):
    """Open programmes the signed-in cadre's workplace lies in (they may apply to these)."""
    person = user.person
    if person is None:
        return Programme.objects.none()
    return open_programmes(user).filter(
        region__path__in=[*person.region.ancestor_paths(), person.region.path]
    )


def proposable_mentors(user, programme):
    """Appointed mentors of the programme with a free place, among those the user may see."""
    return (
        Mentor.objects.visible_to(user)
        .with_free_places()
        .filter(programme=programme)
        .select_related("person", "region")
        .order_by("person__name", "pk")
    )


def timeline(mentor: Mentor):
    return mentor.events.select_related("actor").order_by("at", "id")
