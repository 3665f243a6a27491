"""What the review and comparison pages show of a run, read in a fixed number of queries."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tables2 import RequestConfig

from bangdai.apprentices.choices import ApprenticeCategory
from bangdai.apprentices.models import Apprentice
from bangdai.core.api.fields import without_private
from bangdai.mentors.models import Mentor
from bangdai.programmes.choices import MentorTier

from . import services
from .choices import Criterion, RunStatus
from .explanations import blocked_text, limit_for, suggestion_text
from .forms import ParamsForm
from .maps import run_map
from .models import MatchRun
from .tables import PairTable

PER_PAGE = 50
UNPAIRED_SHOWN = 200  # the map shows every unpaired apprentice; the list the first ones
CHANGES_SHOWN = 300
WITH_RESULTS = (RunStatus.PROPOSED, RunStatus.ACCEPTED, RunStatus.DISCARDED)


def pair_rows(run: MatchRun):
    return run.pairs.select_related(
        "apprentice__person", "apprentice__region", "mentor__person", "mentor__region", "runner_up__person"
    ).defer(
        *without_private("apprentice__person"),
        *without_private("mentor__person"),
        *without_private("runner_up__person"),
    )


def unpaired_rows(run: MatchRun):
    return run.unpaired.select_related("apprentice__person", "apprentice__region").defer(
        *without_private("apprentice__person")
    )


def _mentors(ids) -> dict:
    rows = Mentor.objects.filter(pk__in=set(ids)).select_related("person", "region")
    return {m.pk: m for m in rows.defer(*without_private("person"))}


def _apprentices(ids) -> dict:
    rows = Apprentice.objects.filter(pk__in=set(ids)).select_related("person")
    return {a.pk: a for a in rows.defer(*without_private("person"))}


def _name(records: dict, pk) -> str:
    record = records.get(pk)
    return record.person.name if record else f"#{pk}"


def labels(values, choices) -> str:
    names = dict(choices)
    return "、".join(str(names.get(v, v)) for v in values)


def params_view(params: dict) -> dict:
    """A run's parameters in words, with the pinned, forbidden and excluded records named."""
    pinned, forbidden = params.get("pinned") or [], params.get("forbidden") or []
    a_ids = [a for a, _m in pinned + forbidden] + list(params.get("exclude_apprentices") or [])
    m_ids = [m for _a, m in pinned + forbidden] + list(params.get("exclude_mentors") or [])
    apprentices, mentors = _apprentices(a_ids), _mentors(m_ids)
    weights = params.get("weights") or {}
    total = sum(weights.values()) or 1
    return {
        "weights": [
            {"label": label, "weight": weights.get(c, 0), "share": 100 * weights.get(c, 0) / total, "key": c}
            for c, label in Criterion.choices
        ],
        "max_distance_km": params.get("max_distance_km"),
        "categories": labels(params.get("categories") or [], ApprenticeCategory.choices),
        "tiers": labels(params.get("tiers") or [], MentorTier.choices),
        "tier_rules": [
            (labels([category], ApprenticeCategory.choices), labels(tiers, MentorTier.choices))
            for category, tiers in (params.get("tiers_by_category") or {}).items()
        ],
        "pinned": [
            {"apprentice": _name(apprentices, a), "mentor": _name(mentors, m), "key": f"{a}-{m}"}
            for a, m in pinned
        ],
        "forbidden": [
            {"apprentice": _name(apprentices, a), "mentor": _name(mentors, m)} for a, m in forbidden
        ],
        "exclude_apprentices": [_name(apprentices, a) for a in params.get("exclude_apprentices") or []],
        "exclude_mentors": [_name(mentors, m) for m in params.get("exclude_mentors") or []],
    }


def summary_view(summary: dict) -> dict:
    load = sorted(((int(k), n) for k, n in (summary.get("load") or {}).items()), key=lambda kv: kv[0])
    return {**summary, "load_rows": load, "load_max": max((n for _k, n in load), default=1)}


def review_context(request, run: MatchRun, *, only_table: bool = False, params_form=None) -> dict:
    user = request.user
    can_write = services.can_match(user, run.region)
    editable = can_write and run.status == RunStatus.PROPOSED
    weights = run.params.get("weights") or {}
    context = {"run": run, "object": run, "can_write": can_write, "editable": editable}
    if run.status in WITH_RESULTS:
        table = PairTable(pair_rows(run), weights=weights, exclude=() if editable else ("select", "actions"))
        RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
        context["table"] = table
    if only_table:
        return context
    params = params_view(run.params)
    context.update(
        is_open=services.is_open(run),
        params=params,
        error=services.error_message(run) if run.status == RunStatus.FAILED else "",
        children=MatchRun.objects.visible_to(user).filter(parent=run).order_by("number"),
        others=MatchRun.objects.visible_to(user)
        .filter(programme_id=run.programme_id)
        .exclude(pk=run.pk)
        .order_by("-number")[:50],
        params_form=params_form
        or (ParamsForm(params=run.params) if can_write and not services.is_open(run) else None),
        criteria=params["weights"],
    )
    if run.status not in WITH_RESULTS:
        return context
    pairs = list(pair_rows(run))
    unpaired = list(unpaired_rows(run))
    suggested = _mentors(u.suggestion.get("mentor_id") for u in unpaired if u.suggestion.get("mentor_id"))
    context.update(
        summary=summary_view(run.summary),
        pair_count=len(pairs),
        unpaired=[
            {
                "row": u,
                "reason": u.get_reason_display(),
                "blocked": blocked_text(u.blocked_by),
                "suggestion": suggestion_text(u.suggestion, suggested),
                "limit": limit_for(u.suggestion) if u.suggestion.get("kind") == "raise_distance" else None,
                "mentor": suggested.get(u.suggestion.get("mentor_id")),
            }
            for u in unpaired[:UNPAIRED_SHOWN]
        ],
        unpaired_hidden=max(0, len(unpaired) - UNPAIRED_SHOWN),
        map=run_map(pairs, unpaired, suggested),
    )
    return context


# ---------------------------------------------------------------------------------------------- comparison

FIGURES = (
    ("paired", gettext_lazy("Paired"), 0),
    ("unpaired", gettext_lazy("Unpaired"), 0),
    ("mean_score", gettext_lazy("Mean score"), 1),
    ("min_score", gettext_lazy("Lowest score"), 1),
    ("mean_distance_km", gettext_lazy("Mean distance (km)"), 1),
    ("max_distance_km", gettext_lazy("Longest distance (km)"), 1),
    ("seconds", gettext_lazy("Seconds"), 3),
)


def _param_rows(left: dict, right: dict) -> list[dict]:
    a, b = params_view(left), params_view(right)
    rows = []
    for wa, wb in zip(a["weights"], b["weights"], strict=True):
        rows.append((_("Weight: %(criterion)s") % {"criterion": wa["label"]}, wa["weight"], wb["weight"]))
    rows += [
        (_("Longest distance (km)"), a["max_distance_km"], b["max_distance_km"]),
        (_("Apprentice categories"), a["categories"] or _("all"), b["categories"] or _("all")),
        (_("Mentor tiers"), a["tiers"] or _("all"), b["tiers"] or _("all")),
        (
            _("Tier rules"),
            "；".join(f"{c} → {t}" for c, t in a["tier_rules"]),
            "；".join(f"{c} → {t}" for c, t in b["tier_rules"]),
        ),
        (
            _("Pinned pairs"),
            "、".join(f"{p['apprentice']}—{p['mentor']}" for p in a["pinned"]),
            "、".join(f"{p['apprentice']}—{p['mentor']}" for p in b["pinned"]),
        ),
        (
            _("Removed pairs"),
            "、".join(f"{p['apprentice']}—{p['mentor']}" for p in a["forbidden"]),
            "、".join(f"{p['apprentice']}—{p['mentor']}" for p in b["forbidden"]),
        ),
        (_("Apprentices left out"), "、".join(a["exclude_apprentices"]), "、".join(b["exclude_apprentices"])),
        (_("Mentors left out"), "、".join(a["exclude_mentors"]), "、".join(b["exclude_mentors"])),
    ]
    return [{"label": label, "left": x, "right": y} for label, x, y in rows if x != y]


def compare_context(run: MatchRun, other: MatchRun) -> dict:
    left, right = sorted((run, other), key=lambda r: r.number)
    figures = []
    for key, label, digits in FIGURES:
        x, y = left.summary.get(key), right.summary.get(key)
        delta = None if x is None or y is None else round(y - x, digits)
        figures.append({"label": label, "left": x, "right": y, "delta": delta, "digits": digits})
    a_pairs = {p.apprentice_id: p for p in pair_rows(left)}
    b_pairs = {p.apprentice_id: p for p in pair_rows(right)}
    changes = []
    for apprentice_id in a_pairs.keys() | b_pairs.keys():
        x, y = a_pairs.get(apprentice_id), b_pairs.get(apprentice_id)
        if x and y and x.mentor_id == y.mentor_id:
            continue
        changes.append({"apprentice": (x or y).apprentice, "left": x, "right": y})
    changes.sort(key=lambda c: (c["apprentice"].person.name, c["apprentice"].pk))
    return {
        "run": run,
        "object": run,
        "left": left,
        "right": right,
        "param_rows": _param_rows(left.params, right.params),
        "same_area": left.region_id == right.region_id,
        "figures": figures,
        "changes": changes[:CHANGES_SHOWN],
        "changes_total": len(changes),
        "unchanged": sum(
            1 for k, p in a_pairs.items() if k in b_pairs and b_pairs[k].mentor_id == p.mentor_id
        ),
    }
