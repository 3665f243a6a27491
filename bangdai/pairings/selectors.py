"""Reads about pairings: who may take which step, the proposal choices, and the personal workspaces."""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from bangdai.accounts.choices import GOVERNING_ROLES
from bangdai.apprentices.models import Apprentice
from bangdai.programmes.choices import ProgrammeStatus
from bangdai.programmes.models import Programme
from bangdai.programmes.selectors import programme_summary, reaching

from . import services
from .choices import OPEN_STATES, RUNNING_STATES, PairingStatus
from .models import Pairing, PairingMentor

P = PairingStatus

# Who may take each step (before the state is considered): the parties, or the editors of the pairing's region.
PARTY_ACTIONS = {"confirm"}
PARTY_OR_EDITOR_ACTIONS = {"decline"}
EDITOR_ACTIONS = {"sign", "extend", "complete", "terminate", "repair"}
# The states in which each step applies.
ACTION_STATES = {
    "confirm": (P.PROPOSED,),
    "decline": (P.PROPOSED,),
    "sign": (P.CONFIRMED,),
    "extend": RUNNING_STATES,
    "complete": RUNNING_STATES,
    "terminate": OPEN_STATES,
    "repair": OPEN_STATES,
}


def with_members(queryset):
    return queryset.prefetch_related(
        Prefetch("members", queryset=PairingMentor.objects.select_related("mentor__person", "mentor__region"))
    )


def may(user, pairing: Pairing, action: str) -> bool:
    """Whether the user's role allows the step on this pairing at all (the service checks the state)."""
    editor = user.scope.edits(pairing.region.path)
    if action in PARTY_ACTIONS:
        return services.party_of(user, pairing) is not None
    if action in PARTY_OR_EDITOR_ACTIONS:
        return editor or services.party_of(user, pairing) is not None
    if action in EDITOR_ACTIONS:
        return editor
    return False


def available_actions(user, pairing: Pairing) -> set[str]:
    """The steps to offer this user now."""
    actions = {a for a, states in ACTION_STATES.items() if pairing.status in states and may(user, pairing, a)}
    if "confirm" in actions and not services.needs_confirmation_from(user, pairing):
        actions.discard("confirm")
    return actions


def proposable_apprentices(user, programme: Programme):
    """Visible apprentices of the programme awaiting a mentor, in regions the user may change."""
    from bangdai.accounts.choices import EDITING_ROLES

    return (
        Apprentice.objects.visible_to(user)
        .unpaired()
        .filter(user.scope.governed_q("region__path", roles=EDITING_ROLES), programme=programme)
        .select_related("person", "region")
        .order_by("person__name", "pk")
    )


@dataclass
class MentorDesk:
    """A mentor's view: their pairings and the proposals waiting for their answer."""

    memberships: list = field(default_factory=list)
    pending: list = field(default_factory=list)


@dataclass
class ApprenticeDesk:
    pairings: list = field(default_factory=list)
    pending: list = field(default_factory=list)


def mentor_desk(user) -> MentorDesk:
    desk = MentorDesk()
    if not user.person_id:
        return desk
    rows = (
        PairingMentor.objects.filter(
            mentor__person_id=user.person_id,
            pairing__in=Pairing.objects.visible_to(user).filter(status__in=OPEN_STATES),
        )
        .select_related("mentor__programme", "pairing__apprentice__person", "pairing__apprentice__region")
        .order_by("-pairing__created_at")
    )
    for row in rows:
        if row.pairing.status == P.PROPOSED and row.confirmed_at is None:
            desk.pending.append(row)
        else:
            desk.memberships.append(row)
    return desk


def apprentice_desk(user) -> ApprenticeDesk:
    desk = ApprenticeDesk()
    if not user.person_id:
        return desk
    pairings = with_members(
        Pairing.objects.visible_to(user)
        .filter(apprentice__person_id=user.person_id)
        .select_related("programme")
        .order_by("-created_at")
    )
    for pairing in pairings:
        if pairing.status == P.PROPOSED and pairing.apprentice_confirmed_at is None:
            desk.pending.append(pairing)
        else:
            desk.pairings.append(pairing)
    return desk


def region_summaries(user, region) -> list:
    """For organisation departments and township committees: each open programme reaching the region."""
    if region is None or not user.scope.has_role(*GOVERNING_ROLES):
        return []
    programmes = reaching(
        Programme.objects.visible_to(user).filter(status=ProgrammeStatus.OPEN).select_related("region"),
        region,
    ).order_by("-year", "name")[:10]
    return [programme_summary(p, user, region) for p in programmes]
