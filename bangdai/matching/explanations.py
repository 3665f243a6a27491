"""A run's results in words: why each pair, what kept an apprentice unpaired, and what would change it."""

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .choices import Criterion, Rule, Why

# One colour per criterion, in the order the criteria are shown (Tabler's palette).
CRITERION_COLOURS = {
    "distance": "blue",
    "coverage": "green",
    "tier_fit": "purple",
    "locality": "orange",
    "balance": "teal",
    "continuity": "pink",
}


@dataclass(frozen=True)
class Part:
    criterion: str
    label: str
    colour: str
    value: float  # 0–1, before weighting
    points: float  # its share of the 0–100 score
    most: float  # the most it could give


def parts(breakdown: dict, weights: dict) -> list[Part]:
    """The score's weighted parts: each criterion's value times its weight, on the score's 0–100 scale."""
    total = sum(weights.values()) or 1
    return [
        Part(
            criterion=c,
            label=str(label),
            colour=CRITERION_COLOURS.get(c, "secondary"),
            value=float(breakdown.get(c, 0.0)),
            points=100 * weights.get(c, 0) * float(breakdown.get(c, 0.0)) / total,
            most=100 * weights.get(c, 0) / total,
        )
        for c, label in Criterion.choices
    ]


def why_text(pair) -> str:
    """Why this mentor rather than the runner-up, with the runner-up named (``runner_up__person`` loaded)."""
    runner = pair.runner_up.person.name if pair.runner_up_id else ""
    values = {"name": runner, "score": pair.runner_up_score or 0.0, "own": pair.score}
    if pair.why == Why.PINNED:
        return _("Pinned by an administrator.")
    if pair.why == Why.ONLY_OPTION or not pair.runner_up_id:
        return _("The only mentor with a free place within the rules.")
    if pair.why == Why.RUNNER_UP_FULL:
        return (
            _(
                "Runner-up %(name)s scores %(score).1f, higher, but that mentor's places give a better total to "
                "other apprentices."
            )
            % values
        )
    return _("Runner-up %(name)s scores %(score).1f, lower than %(own).1f.") % values


def blocked_text(blocked_by: dict) -> str:
    """How many mentors each rule excludes, in words: "beyond the distance limit: 12 mentors; …"."""
    labels = dict(Rule.choices)
    order = {rule: i for i, rule in enumerate(Rule.values)}
    return "；".join(
        ngettext("%(rule)s: %(n)d mentor", "%(rule)s: %(n)d mentors", n)
        % {"n": n, "rule": labels.get(rule, rule)}
        for rule, n in sorted(blocked_by.items(), key=lambda item: order.get(item[0], 99))
        if n
    )


def limit_for(suggestion: dict) -> int:
    """The whole-km distance limit a "raise_distance" suggestion needs."""
    return math.ceil(float(suggestion["km"]) - 1e-9)


def suggestion_text(suggestion: dict, mentors: dict) -> str:
    """What would pair the apprentice, naming the mentor (``mentors``: id → Mentor with person loaded)."""
    kind = (suggestion or {}).get("kind")
    mentor = mentors.get(suggestion.get("mentor_id")) if kind else None
    name = mentor.person.name if mentor else f"#{suggestion.get('mentor_id')}"
    if kind == "raise_distance":
        return _("Raising the distance limit to %(km)d km would allow %(name)s.") % {
            "km": limit_for(suggestion),
            "name": name,
        }
    if kind == "add_place":
        return _("One more place for %(name)s would pair them.") % {"name": name}
    return _("Nothing simple would pair them: review the rules or register more mentors.")
