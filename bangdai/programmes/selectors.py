"""Reads about programmes: which ones reach a region, and a programme's summary for a region."""

from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum

from bangdai.regions.models import Region, subtree_q

from .choices import MentorTier
from .models import Programme


def reaching(queryset, region: Region):
    """Programmes organised at the region, above it (they reach down into it) or inside its subtree."""
    return queryset.filter(
        Q(region__path__in=[*region.ancestor_paths(), region.path]) | subtree_q(region.path, "region__path")
    )


def summary_region(programme: Programme, region: Region | None) -> Region:
    """The region a summary is for: the given one when it lies inside the programme's region, else the programme's."""
    if region is not None:
        low, high = programme.region.subtree_range
        if low <= region.path < high:
            return region
    return programme.region


@dataclass
class TierRow:
    tier: str
    label: str
    appointed: int = 0
    in_review: int = 0
    free_places: int = 0


@dataclass
class ProgrammeSummary:
    programme: Programme
    region: Region
    tiers: list[TierRow] = field(default_factory=list)
    mentors_appointed: int = 0
    mentors_in_review: int = 0
    free_places: int = 0
    apprentices: int = 0
    unpaired: int = 0
    pairings: list[tuple[str, str, int]] = field(default_factory=list)  # (status, label, count)
    pairings_open: int = 0


def programme_summary(programme: Programme, user, region: Region | None = None) -> ProgrammeSummary:
    """Counts of what the user may see of the programme inside the region: three grouped queries."""
    from bangdai.apprentices.choices import ApprenticeStatus
    from bangdai.apprentices.models import Apprentice
    from bangdai.mentors.choices import REVIEW_STATES, MentorStatus
    from bangdai.mentors.models import Mentor
    from bangdai.pairings.choices import OPEN_STATES, PairingStatus
    from bangdai.pairings.models import Pairing

    region = summary_region(programme, region)
    within = subtree_q(region.path, "region__path")
    summary = ProgrammeSummary(programme=programme, region=region)

    mentor_rows = (
        Mentor.objects.visible_to(user)
        .filter(within, programme=programme)
        .order_by()
        .values("tier")
        .annotate(
            appointed=Count("pk", filter=Q(status=MentorStatus.ACTIVE)),
            in_review=Count("pk", filter=Q(status__in=REVIEW_STATES)),
            free=Sum(F("capacity") - F("load"), filter=Q(status=MentorStatus.ACTIVE)),
        )
    )
    by_tier = {row["tier"]: row for row in mentor_rows}
    for tier in MentorTier:
        row = by_tier.get(tier.value, {})
        item = TierRow(
            tier=tier.value,
            label=tier.label,
            appointed=row.get("appointed", 0),
            in_review=row.get("in_review", 0),
            free_places=row.get("free") or 0,
        )
        summary.tiers.append(item)
        summary.mentors_appointed += item.appointed
        summary.mentors_in_review += item.in_review
        summary.free_places += item.free_places

    apprentice_counts = (
        Apprentice.objects.visible_to(user)
        .filter(within, programme=programme)
        .aggregate(total=Count("pk"), unpaired=Count("pk", filter=Q(status=ApprenticeStatus.ELIGIBLE)))
    )
    summary.apprentices = apprentice_counts["total"]
    summary.unpaired = apprentice_counts["unpaired"]

    pairing_counts = dict(
        Pairing.objects.visible_to(user)
        .filter(within, programme=programme)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    summary.pairings = [(s.value, s.label, pairing_counts.get(s.value, 0)) for s in PairingStatus]
    summary.pairings_open = sum(pairing_counts.get(s, 0) for s in OPEN_STATES)
    return summary


def rules_history(programme: Programme) -> list[dict]:
    """Every rules version, newest first, with who wrote it and which values changed from the version before."""
    versions = list(programme.rule_versions.select_related("created_by").order_by("version"))
    history = []
    previous: dict = {}
    for rules in versions:
        changes = []
        if previous:
            for key, value in rules.data.items():
                old = previous.get(key)
                if isinstance(value, dict):
                    for sub, sub_value in value.items():
                        if (old or {}).get(sub) != sub_value:
                            changes.append((f"capacity_{sub}", (old or {}).get(sub), sub_value))
                elif old != value:
                    changes.append((key, old, value))
        history.append({"rules": rules, "changes": changes})
        previous = rules.data
    history.reverse()
    return history
