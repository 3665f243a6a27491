"""Matching runs: start one (as a job), solve it with the engine, adjust and re-run, accept into pairings.

A run never changes a pairing until it is accepted; accepting proposes every pair through the pairing workflow
in one transaction, so the workflow's capacity guard holds even when two admins accept overlapping runs: the
second acceptance is refused whole, naming the pairs that no longer fit.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bangdai.apprentices.choices import ApprenticeCategory, ApprenticeStatus
from bangdai.apprentices.models import Apprentice
from bangdai.jobs import services as job_services
from bangdai.jobs.choices import JobKind
from bangdai.mentors.choices import MentorStatus
from bangdai.mentors.models import Mentor
from bangdai.pairings import services as pairing_services
from bangdai.programmes.choices import MentorTier
from bangdai.programmes.models import Programme
from bangdai.regions.models import Region

from . import engine
from .choices import OPEN_STATES, Criterion, Rule, RunStatus
from .models import MatchPair, MatchRun, MatchUnpaired
from .problem import MatchError, Result
from .selectors import build_problem, default_params

# Runs with more pairs than this are accepted by a task worker; smaller ones at once.
BACKGROUND_ACCEPT = 300


def can_match(actor, area: Region) -> bool:
    """Organisation admins and township committees run matches for areas they edit."""
    return actor.is_authenticated and actor.scope.edits(area.path)


def clean_params(programme: Programme, params: dict | None) -> dict:
    """The programme's defaults overlaid with ``params``, checked; errors name the field."""
    merged = {**default_params(programme), **(params or {})}
    errors: dict[str, str] = {}
    weights = merged["weights"]
    if (
        not isinstance(weights, dict)
        or set(weights) != set(Criterion.values)
        or not all(isinstance(v, int) and 0 <= v <= 100 for v in weights.values())
        or not sum(weights.values())
    ):
        errors["weights"] = _("Give every criterion a weight from 0 to 100, at least one above zero.")
    distance = merged["max_distance_km"]
    if not isinstance(distance, int | float) or not 1 <= distance <= 500:
        errors["max_distance_km"] = _("From 1 to 500 km.")
    if not set(merged["categories"]) <= set(ApprenticeCategory.values):
        errors["categories"] = _("Unknown apprentice category.")
    if not set(merged["tiers"]) <= set(MentorTier.values):
        errors["tiers"] = _("Unknown mentor tier.")
    for key in ("exclude_apprentices", "exclude_mentors"):
        if not all(isinstance(i, int) for i in merged[key]):
            errors[key] = _("Give record ids.")
    for key in ("pinned", "forbidden"):
        pairs = merged[key]
        if not all(
            isinstance(p, list | tuple) and len(p) == 2 and all(isinstance(i, int) for i in p) for p in pairs
        ):
            errors[key] = _("Give pairs of apprentice id and mentor id.")
        else:
            merged[key] = sorted({(a, m) for a, m in pairs})
            merged[key] = [list(p) for p in merged[key]]
    if errors:
        raise ValidationError(errors)
    return merged


def start(
    *,
    actor,
    programme: Programme,
    area: Region | None = None,
    params: dict | None = None,
    parent: MatchRun | None = None,
    background: bool = True,
) -> MatchRun:
    """Record a run and solve it, by a task worker (``background``) or now."""
    area = area or programme.region
    if not area.path.startswith(programme.region.path):
        raise ValidationError({"region": _("The area must lie inside the programme's region.")})
    if not can_match(actor, area):
        raise PermissionDenied(_("You may not run matches for this area."))
    params = clean_params(programme, params)
    with transaction.atomic():
        run = _create(programme, area, params, parent, actor)
        if background:
            from .tasks import run_match_job

            job = job_services.create_job(
                kind=JobKind.MATCHING,
                created_by=actor,
                region=area,
                title=_("Matching run #%(n)d · %(programme)s")
                % {"n": run.number, "programme": programme.name},
                params={"run": run.pk, "action": "solve"},
            )
            job.result_url = reverse("matching:detail", args=[run.pk])
            job.save(update_fields=["result_url"])
            run.job = job
            run.save(update_fields=["job"])
            job_services.enqueue(job, run_match_job)
    if not background:
        solve(run)
        run.refresh_from_db()
    return run


def _create(programme, area, params, parent, actor) -> MatchRun:
    for _attempt in range(5):
        number = (MatchRun.objects.filter(programme=programme).aggregate(n=Max("number"))["n"] or 0) + 1
        try:
            with transaction.atomic():
                return MatchRun.objects.create(
                    programme=programme,
                    region=area,
                    number=number,
                    parent=parent,
                    params=params,
                    created_by=actor,
                )
        except IntegrityError:  # another run took the number at the same moment
            continue
    raise ValidationError(_("Could not number the run; try again."))


def _check_pins(problem, records) -> None:
    """Pinned records must still be available: an unpaired apprentice and an appointed mentor with a free place."""
    for a_id, m_id in problem.pinned:
        apprentice = records["apprentices"].get(a_id)
        mentor = records["mentors"].get(m_id)
        if apprentice is None or mentor is None:
            raise MatchError("pin_unknown", (a_id, m_id))
        if apprentice.status != ApprenticeStatus.ELIGIBLE or mentor.status != MentorStatus.ACTIVE:
            raise MatchError("pin_unavailable", (a_id, m_id))


def preview(*, actor, programme: Programme, area: Region | None = None, params: dict | None = None):
    """Solve without keeping anything (the command line's ``--dry-run``): the result and the records by id."""
    area = area or programme.region
    if not can_match(actor, area) or not area.path.startswith(programme.region.path):
        raise PermissionDenied(_("You may not run matches for this area."))
    problem, records = build_problem(programme, area, clean_params(programme, params))
    _check_pins(problem, records)
    return engine.solve(problem), records


def solve(run: MatchRun, progress=None) -> MatchRun:
    """Solve a queued run once and keep its proposal; a run that cannot be solved keeps nothing but the reason."""
    if not MatchRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING):
        return run
    problem, records = build_problem(run.programme, run.region, run.params)
    if progress:
        progress(f"{len(problem.apprentices)} × {len(problem.mentors)}")
    try:
        _check_pins(problem, records)
        result = engine.solve(problem)
    except MatchError as error:
        MatchRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            error={"code": error.code, "records": list(error.records), "rule": error.rule},
            finished_at=timezone.now(),
        )
        return run
    with transaction.atomic():
        _keep(run, result)
    return run


def _keep(run: MatchRun, result: Result) -> None:
    MatchPair.objects.bulk_create(
        (
            MatchPair(
                run=run,
                apprentice_id=p.apprentice_id,
                mentor_id=p.mentor_id,
                score=round(p.score, 3),
                breakdown={k: round(v, 4) for k, v in p.breakdown.items()},
                distance_km=round(p.distance_km, 2),
                pinned=p.pinned,
                runner_up_id=p.runner_up_id,
                runner_up_score=None if p.runner_up_score is None else round(p.runner_up_score, 3),
                runner_up_breakdown={k: round(v, 4) for k, v in (p.runner_up_breakdown or {}).items()},
                why=p.why,
            )
            for p in result.pairs
        ),
        batch_size=2000,
    )
    MatchUnpaired.objects.bulk_create(
        (
            MatchUnpaired(
                run=run,
                apprentice_id=u.apprentice_id,
                reason=u.reason,
                blocked_by=u.blocked_by,
                feasible_mentors=u.feasible_mentors,
                suggestion=u.suggestion,
            )
            for u in result.unpaired
        ),
        batch_size=2000,
    )
    s = result.summary
    summary = {
        "apprentices": s.apprentices,
        "mentors": s.mentors,
        "paired": s.paired,
        "unpaired": s.unpaired,
        "mean_score": round(s.mean_score, 2),
        "min_score": round(s.min_score, 2),
        "mean_distance_km": round(s.mean_distance_km, 2),
        "max_distance_km": round(s.max_distance_km, 2),
        "load": {str(k): v for k, v in sorted(s.load.items())},
        "objective": s.objective,
        "candidate_arcs": s.candidate_arcs,
        "feasible_arcs": s.feasible_arcs,
        "added_arcs": s.added_arcs,
        "pricing_rounds": s.pricing_rounds,
        "seconds": round(s.seconds, 3),
    }
    MatchRun.objects.filter(pk=run.pk).update(
        status=RunStatus.PROPOSED, summary=summary, finished_at=timezone.now()
    )


def error_message(run: MatchRun) -> str:
    """The reason a run could not be solved, naming the records."""
    return error_text(run.error.get("code"), run.error.get("records", []), run.error.get("rule", ""))


def error_text(code: str, ids, rule: str = "") -> str:
    names = _names(code, ids)
    messages = {
        "no_apprentices": _("No unpaired apprentice in this area takes part."),
        "no_places": _("No appointed mentor serving this area has a free place."),
        "pin_unknown": _("A pinned pair names a record that does not take part: %(records)s."),
        "pin_unavailable": _(
            "The pinned pair %(records)s is no longer available (the apprentice is paired, or the mentor is not "
            "appointed)."
        ),
        "pin_twice": _("An apprentice is pinned to several mentors: %(records)s."),
        "pin_over_capacity": _("More pins than free places: mentor and apprentices %(records)s."),
        "pin_breaks_rule": _("The pinned pair %(records)s breaks a rule: %(rule)s."),
        "pin_forbidden": _("The pair %(records)s is both pinned and forbidden."),
    }
    text = messages.get(code, _("The run could not be solved (%(code)s)."))
    return text % {"records": names, "rule": dict(Rule.choices).get(rule, rule), "code": code}


def _names(code: str, ids) -> str:
    """Names of the records a MatchError lists: a mentor first for ``pin_over_capacity``, else an apprentice."""
    ids = list(ids)
    if not ids:
        return ""
    first_is_mentor = code == "pin_over_capacity"
    mentor_ids = {ids[0]} if first_is_mentor else set(ids[1:])
    apprentice_ids = set(ids[1:]) if first_is_mentor else {ids[0]}
    mentors = dict(Mentor.objects.filter(pk__in=mentor_ids).values_list("pk", "person__name"))
    apprentices = dict(Apprentice.objects.filter(pk__in=apprentice_ids).values_list("pk", "person__name"))
    names = []
    for i, pk in enumerate(ids):
        is_mentor = (i == 0) == first_is_mentor
        name = (mentors if is_mentor else apprentices).get(pk, "")
        names.append(f"{name}（#{pk}）" if name else f"#{pk}")
    return "、".join(names)


def adjust(
    *,
    actor,
    run: MatchRun,
    pin=(),
    forbid=(),
    unpin=(),
    exclude_apprentices=(),
    exclude_mentors=(),
    params: dict | None = None,
    background: bool = True,
) -> MatchRun:
    """A new run from ``run`` with pairs pinned or forbidden, records left out or weights changed; ``run`` is kept.

    Swapping two pairs is pinning each apprentice to the other's mentor; removing a pair is forbidding it.
    """
    new = {**run.params, **(params or {})}
    new["pinned"] = [
        p for p in [*new.get("pinned", []), *map(list, pin)] if tuple(p) not in set(map(tuple, unpin))
    ]
    new["forbidden"] = [*new.get("forbidden", []), *map(list, forbid)]
    new["exclude_apprentices"] = sorted({*new.get("exclude_apprentices", []), *exclude_apprentices})
    new["exclude_mentors"] = sorted({*new.get("exclude_mentors", []), *exclude_mentors})
    # A record left out takes its pins with it (pinned records would otherwise be brought back in).
    left_a, left_m = set(exclude_apprentices), set(exclude_mentors)
    new["pinned"] = [p for p in new["pinned"] if p[0] not in left_a and p[1] not in left_m]
    return start(
        actor=actor, programme=run.programme, area=run.region, params=new, parent=run, background=background
    )


def swap(*, actor, run: MatchRun, first: MatchPair, second: MatchPair, background: bool = True) -> MatchRun:
    """Exchange the mentors of two proposed pairs and re-run with both new pairs pinned."""
    if first.run_id != run.pk or second.run_id != run.pk or first.pk == second.pk:
        raise ValidationError(_("Choose two different pairs of this run."))
    return adjust(
        actor=actor,
        run=run,
        pin=[(first.apprentice_id, second.mentor_id), (second.apprentice_id, first.mentor_id)],
        unpin=[(first.apprentice_id, first.mentor_id), (second.apprentice_id, second.mentor_id)],
        background=background,
    )


def accept(*, actor, run: MatchRun, background: bool | None = None):
    """Turn the proposal into proposed pairings, all or none; returns the run, or the job doing it."""
    if not can_match(actor, run.region):
        raise PermissionDenied(_("You may not accept runs for this area."))
    if run.status != RunStatus.PROPOSED:
        raise ValidationError(_("Only a run ready for review can be accepted."))
    count = run.pairs.count()
    if background is None:
        background = count > BACKGROUND_ACCEPT
    if not background:
        return accept_now(actor, run)
    from .tasks import run_match_job

    with transaction.atomic():
        job = job_services.create_job(
            kind=JobKind.MATCHING,
            created_by=actor,
            region=run.region,
            title=_("Accepting matching run #%(n)d · %(programme)s")
            % {"n": run.number, "programme": run.programme.name},
            params={"run": run.pk, "action": "accept"},
        )
        job.result_url = reverse("matching:detail", args=[run.pk])
        job.save(update_fields=["result_url"])
        job_services.enqueue(job, run_match_job)
    return job


@transaction.atomic
def accept_now(actor, run: MatchRun, progress=None) -> MatchRun:
    # Compare-and-set: two clicks, or two admins, accept a run once.
    if not MatchRun.objects.filter(pk=run.pk, status=RunStatus.PROPOSED).update(
        status=RunStatus.ACCEPTED, decided_by=actor, decided_at=timezone.now()
    ):
        raise ValidationError(_("Only a run ready for review can be accepted."))
    pairs = list(run.pairs.select_related("apprentice__programme", "apprentice__person", "mentor__person"))
    note = _("Proposed by matching run #%(n)d") % {"n": run.number}
    failures = []
    for i, pair in enumerate(pairs):
        try:
            pairing_services.propose(
                actor=actor, apprentice=pair.apprentice, mentors=[pair.mentor], note=note
            )
        except ValidationError as error:
            failures.append(
                f"{pair.apprentice.person.name} → {pair.mentor.person.name}：{' '.join(error.messages)}"
            )
        if progress and i % 100 == 0:
            progress(i, len(pairs))
    if failures:
        shown = "；".join(failures[:10]) + ("……" if len(failures) > 10 else "")
        raise ValidationError(
            _("Nothing was accepted: %(n)d pairs no longer fit (re-run the match): %(pairs)s")
            % {"n": len(failures), "pairs": shown}
        )
    run.status = RunStatus.ACCEPTED
    return run


def discard(*, actor, run: MatchRun) -> MatchRun:
    if not can_match(actor, run.region):
        raise PermissionDenied(_("You may not change runs for this area."))
    if not MatchRun.objects.filter(pk=run.pk, status__in=[RunStatus.PROPOSED, RunStatus.FAILED]).update(
        status=RunStatus.DISCARDED, decided_by=actor, decided_at=timezone.now()
    ):
        raise ValidationError(_("Only a run under review can be discarded."))
    run.refresh_from_db()
    return run


def is_open(run: MatchRun) -> bool:
    return run.status in OPEN_STATES
