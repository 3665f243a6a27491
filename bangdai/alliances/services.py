"""Alliances: form one, change its goals and members, start and dissolve it, record joint activities; and the
planner's proposals: plan (as a job), move a village, drop a hub, adopt all of it or none, discard.

Only the organisation department of an alliance's organising region changes it (``can_manage``); its lead mentor
also records joint activities. Every member village lies inside the organising region, so an alliance crosses a
county line only when a city's (or the province's) department organises it. A village belongs to one forming or
active alliance at a time and a mentor leads one: the database holds both rules (partial unique indexes), the
checks here explain them first.
"""

import datetime as dt
import math
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bangdai.core.uploads import clean_upload
from bangdai.jobs import services as job_services
from bangdai.jobs.choices import JobKind
from bangdai.mentors.choices import MentorStatus
from bangdai.mentors.models import Mentor
from bangdai.regions.choices import Level
from bangdai.regions.models import PATH_STEP, Region

from . import planner
from .choices import (
    LIVE_STATES,
    OPEN_PLAN_STATES,
    AllianceAction,
    AllianceStatus,
    PlanAction,
    PlanStatus,
    Qualification,
    Unplaced,
    Weighting,
)
from .models import (
    Alliance,
    AllianceEvent,
    AllianceMember,
    JointActivity,
    JointEvidence,
    PlanEvent,
    PlanHub,
    PlanRun,
    PlanVillage,
)
from .selectors import default_params, plan_input

MAX_TARGETS = 20
MAX_EVIDENCE = 10
# The job kind of a planner run; bangdai.jobs lists it among its kinds (a plain value until it does).
PLAN_JOB_KIND = getattr(JobKind, "ALLIANCE_PLAN", "alliance_plan")


# ---------------------------------------------------------------------------------------------------------------
# Who may do what


def can_organise(actor, region: Region) -> bool:
    """Organisation admins form alliances in a province, city or county they administer."""
    return actor.is_authenticated and region.depth <= Level.COUNTY and actor.scope.administers(region.path)


def can_manage(actor, alliance: Alliance) -> bool:
    return can_organise(actor, alliance.region)


def can_record(actor, alliance: Alliance) -> bool:
    """The organising department and the alliance's lead mentor record its joint activities."""
    if not actor.is_authenticated:
        return False
    return can_manage(actor, alliance) or (
        actor.scope.person_id is not None and actor.scope.person_id == alliance.lead_mentor.person_id
    )


def _require_manage(actor, alliance: Alliance) -> None:
    if not can_manage(actor, alliance):
        raise PermissionDenied(_("Only the organisation department that formed the alliance may change it."))


def _require_live(alliance: Alliance) -> None:
    if alliance.status not in LIVE_STATES:
        raise ValidationError(_("The alliance has been dissolved; it can no longer change."))


def _event(alliance, actor, action, before="", after="", village=None, reason="", save=True) -> AllianceEvent:
    event = AllianceEvent(
        alliance=alliance,
        action=action,
        from_status=before,
        to_status=after,
        village=village,
        actor=actor if actor and actor.is_authenticated else None,
        reason=reason,
    )
    if save:
        event.save(force_insert=True)
    return event


# ---------------------------------------------------------------------------------------------------------------
# Goals and villages


def clean_targets(targets) -> list[dict]:
    """Measurable targets as stored: description, value, unit, due date (ISO) or None; errors name the target."""
    if targets in (None, ""):
        return []
    if not isinstance(targets, list | tuple):
        raise ValidationError({"targets": _("Give the targets as a list.")})
    if len(targets) > MAX_TARGETS:
        raise ValidationError({"targets": _("At most %(n)d targets.") % {"n": MAX_TARGETS}})
    cleaned, errors = [], []
    for number, target in enumerate(targets, start=1):
        if not isinstance(target, dict):
            errors.append(_("Target %(n)d: give a description and a value.") % {"n": number})
            continue
        description = str(target.get("description") or "").strip()
        unit = str(target.get("unit") or "").strip()
        try:
            value = Decimal(str(target.get("value")).strip())
            if not value.is_finite() or value < 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            value = None
        due = target.get("due") or None
        if isinstance(due, str):
            try:
                due = dt.date.fromisoformat(due.strip())
            except ValueError:
                errors.append(_("Target %(n)d: the due date is not a date (YYYY-MM-DD).") % {"n": number})
                continue
        if not description or len(description) > 200:
            errors.append(_("Target %(n)d: describe it in 1 to 200 characters.") % {"n": number})
        elif value is None:
            errors.append(_("Target %(n)d: the target value must be a number of at least 0.") % {"n": number})
        elif len(unit) > 20:
            errors.append(_("Target %(n)d: the unit has at most 20 characters.") % {"n": number})
        else:
            cleaned.append(
                {
                    "description": description,
                    "value": float(value) if value % 1 else int(value),
                    "unit": unit,
                    "due": due.isoformat() if isinstance(due, dt.date) else None,
                }
            )
    if errors:
        raise ValidationError({"targets": errors})
    return cleaned


def _names(regions) -> str:
    regions = list(regions)
    shown = "、".join(r.name for r in regions[:10])
    return shown + ("……" if len(regions) > 10 else "")


def _check_villages(region: Region, villages, alliance: Alliance | None = None) -> list[str]:
    """Why these villages cannot join an alliance organised at ``region`` (empty when they can)."""
    errors = []
    not_villages = [v for v in villages if v.depth != Level.VILLAGE or v.valid_to is not None]
    if not_villages:
        errors.append(
            _("Only current villages join an alliance: %(names)s.") % {"names": _names(not_villages)}
        )
    low, high = region.subtree_range
    outside = [v for v in villages if not low <= v.path < high]
    if outside:
        errors.append(
            _(
                "%(names)s lie outside %(region)s, the organising region. An alliance across county lines is "
                "organised by the department whose region covers every village (the city's or the province's)."
            )
            % {"names": _names(outside), "region": region.name}
        )
    taken = (
        AllianceMember.objects.filter(current=True, village__in=villages)
        .exclude(alliance=alliance)
        .select_related("village", "alliance")
    )
    for member in taken:
        errors.append(
            _("%(village)s already belongs to %(alliance)s.")
            % {"village": member.village.name, "alliance": member.alliance.name}
        )
    return errors


def _check_lead(mentor: Mentor, hub: Region, alliance: Alliance | None = None) -> list[str]:
    errors = []
    if mentor.status != MentorStatus.ACTIVE:
        errors.append(_("%(name)s is not an appointed mentor.") % {"name": mentor.person.name})
    if mentor.region_id != hub.pk:
        errors.append(
            _("The lead mentor's home must be the hub village: %(name)s lives in %(home)s.")
            % {"name": mentor.person.name, "home": mentor.region.name}
        )
    led = (
        Alliance.objects.live()
        .filter(lead_mentor__person_id=mentor.person_id)
        .exclude(pk=getattr(alliance, "pk", None))
    )
    for other in led:
        errors.append(
            _("%(name)s already leads %(alliance)s.") % {"name": mentor.person.name, "alliance": other.name}
        )
    return errors


def _spans(villages) -> bool:
    return len({v.path[: Level.COUNTY * PATH_STEP] for v in villages}) > 1


def _members_of(alliance: Alliance) -> list[Region]:
    return [m.village for m in alliance.members.filter(current=True).select_related("village")]


def _create(
    *, actor, name, region, hub, lead_mentor, members, theme, goals, targets, founded_on, plan=None
) -> Alliance:
    """Write an alliance whose inputs were checked, with its members and its first event."""
    villages = list({v.pk: v for v in [hub, *members]}.values())
    try:
        with transaction.atomic():
            alliance = Alliance.objects.create(
                name=name,
                theme=theme,
                region=region,
                hub=hub,
                lead_mentor=lead_mentor,
                goals=goals,
                targets=targets,
                founded_on=founded_on,
                spans_counties=_spans(villages),
                plan=plan,
                created_by=actor,
            )
            AllianceMember.objects.bulk_create(
                AllianceMember(alliance=alliance, village=v, is_hub=v.pk == hub.pk, joined_on=founded_on)
                for v in villages
            )
    except IntegrityError:  # another alliance took a village or the mentor at the same moment
        raise ValidationError(
            _("A village or the lead mentor was just taken by another alliance; reload and try again.")
        ) from None
    _event(alliance, actor, AllianceAction.FORM, after=AllianceStatus.FORMING, reason=_names(villages))
    return alliance


@transaction.atomic
def form_alliance(
    *,
    actor,
    name: str,
    region: Region,
    hub: Region,
    lead_mentor: Mentor,
    members=(),
    theme: str = "",
    goals: str = "",
    targets=(),
    founded_on: dt.date | None = None,
) -> Alliance:
    """Form an alliance around ``hub`` led by ``lead_mentor``; it starts as forming (筹建中)."""
    if not can_organise(actor, region):
        raise PermissionDenied(
            _("Only the organisation department of the organising region forms alliances there.")
        )
    today = timezone.localdate()
    founded_on = founded_on or today
    errors: dict[str, list] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the alliance a name.")]
    if founded_on > today:
        errors["founded_on"] = [_("The founding date cannot be in the future.")]
    hub_errors = _check_villages(region, [hub])
    if hub_errors:
        errors["hub"] = hub_errors
    lead_errors = _check_lead(lead_mentor, hub)
    if lead_errors:
        errors["lead_mentor"] = lead_errors
    member_errors = _check_villages(region, [v for v in members if v.pk != hub.pk])
    if member_errors:
        errors["members"] = member_errors
    try:
        targets = clean_targets(list(targets))
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return _create(
        actor=actor,
        name=name,
        region=region,
        hub=hub,
        lead_mentor=lead_mentor,
        members=members,
        theme=(theme or "").strip(),
        goals=(goals or "").strip(),
        targets=targets,
        founded_on=founded_on,
    )


@transaction.atomic
def update_alliance(actor, alliance: Alliance, **changes) -> Alliance:
    """Change the name, theme, shared goals or targets of a live alliance."""
    _require_manage(actor, alliance)
    _require_live(alliance)
    allowed = {"name", "theme", "goals", "targets"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(
            _("These cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    if "targets" in changes:
        changes["targets"] = clean_targets(changes["targets"])
    for key in ("name", "theme", "goals"):
        if key in changes:
            changes[key] = (changes[key] or "").strip()
    if "name" in changes and not changes["name"]:
        raise ValidationError({"name": _("Give the alliance a name.")})
    changed = [key for key, value in changes.items() if getattr(alliance, key) != value]
    if not changed:
        return alliance
    for key in changed:
        setattr(alliance, key, changes[key])
    alliance.save(update_fields=[*changed, "updated_at"])
    labels = {"name": _("name"), "theme": _("theme"), "goals": _("shared goals"), "targets": _("targets")}
    _event(alliance, actor, AllianceAction.EDIT, reason="、".join(str(labels[k]) for k in changed))
    return alliance


@transaction.atomic
def add_members(actor, alliance: Alliance, villages, on: dt.date | None = None) -> list[AllianceMember]:
    """Villages join a live alliance (each must lie in its organising region and in no other live alliance)."""
    _require_manage(actor, alliance)
    _require_live(alliance)
    on = on or timezone.localdate()
    current = {v.pk for v in _members_of(alliance)}
    new = [v for v in {v.pk: v for v in villages}.values() if v.pk not in current]
    if not new:
        raise ValidationError({"villages": _("These villages are members already.")})
    errors = _check_villages(alliance.region, new, alliance)
    if errors:
        raise ValidationError({"villages": errors})
    try:
        with transaction.atomic():
            added = AllianceMember.objects.bulk_create(
                AllianceMember(alliance=alliance, village=v, joined_on=on) for v in new
            )
    except IntegrityError:
        raise ValidationError(
            {"villages": _("A village was just taken by another alliance; reload and try again.")}
        ) from None
    AllianceEvent.objects.bulk_create(
        _event(alliance, actor, AllianceAction.JOIN, village=village, save=False) for village in new
    )
    _refresh_spans(alliance)
    return added


@transaction.atomic
def remove_member(
    actor, alliance: Alliance, village: Region, reason: str = "", on: dt.date | None = None
) -> None:
    """A village leaves a live alliance; its membership is kept with the day it left."""
    _require_manage(actor, alliance)
    _require_live(alliance)
    if village.pk == alliance.hub_id:
        raise ValidationError(
            _("The hub village cannot leave its own alliance; dissolve the alliance instead.")
        )
    left = AllianceMember.objects.filter(alliance=alliance, village=village, current=True).update(
        current=False, left_on=on or timezone.localdate()
    )
    if not left:
        raise ValidationError(_("%(village)s is not a member.") % {"village": village.name})
    _event(alliance, actor, AllianceAction.LEAVE, village=village, reason=(reason or "").strip())
    _refresh_spans(alliance)


def _refresh_spans(alliance: Alliance) -> None:
    spans = _spans(_members_of(alliance))
    if spans != alliance.spans_counties:
        Alliance.objects.filter(pk=alliance.pk).update(spans_counties=spans)
        alliance.spans_counties = spans


def _move(
    alliance: Alliance, actor, before: str, after: str, action: str, reason: str = "", **fields
) -> Alliance:
    """Compare-and-set the state: two admins clicking at once make one transition and one event."""
    if not Alliance.objects.filter(pk=alliance.pk, status=before).update(status=after, **fields):
        raise ValidationError(_("The alliance has just changed; reload the page."))
    _event(alliance, actor, action, before=before, after=after, reason=reason)
    alliance.refresh_from_db()
    return alliance


def can_activate(alliance: Alliance) -> bool:
    return alliance.status == AllianceStatus.FORMING and bool(alliance.goals.strip())


@transaction.atomic
def activate(actor, alliance: Alliance) -> Alliance:
    """A forming alliance starts work once its shared goals are written (运行)."""
    _require_manage(actor, alliance)
    if alliance.status != AllianceStatus.FORMING:
        raise ValidationError(_("Only a forming alliance can be started."))
    if not alliance.goals.strip():
        raise ValidationError(_("Write the alliance's shared goals before it starts."))
    return _move(alliance, actor, AllianceStatus.FORMING, AllianceStatus.ACTIVE, AllianceAction.ACTIVATE)


@transaction.atomic
def dissolve(actor, alliance: Alliance, reason: str, on: dt.date | None = None) -> Alliance:
    """Dissolve a live alliance; its villages are free to join another, its history stays."""
    _require_manage(actor, alliance)
    _require_live(alliance)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the alliance is dissolved.")})
    on = on or timezone.localdate()
    alliance = _move(
        alliance,
        actor,
        alliance.status,
        AllianceStatus.DISSOLVED,
        AllianceAction.DISSOLVE,
        reason,
        dissolved_on=on,
    )
    AllianceMember.objects.filter(alliance=alliance, current=True).update(current=False, left_on=on)
    return alliance


@transaction.atomic
def record_activity(
    *, actor, alliance: Alliance, occurred_on: dt.date, title: str, summary: str, villages=(), files=()
) -> JointActivity:
    """A joint activity of member villages, with its evidence files checked before anything is written."""
    if not can_record(actor, alliance):
        raise PermissionDenied(
            _("Only the organising department and the lead mentor record joint activities.")
        )
    _require_live(alliance)
    errors: dict[str, list] = {}
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = [_("The activity cannot be dated in the future.")]
    elif occurred_on < alliance.founded_on:
        errors["occurred_on"] = [
            _("The alliance was founded on %(date)s; the activity cannot be earlier.")
            % {"date": alliance.founded_on.isoformat()}
        ]
    title, summary = (title or "").strip(), (summary or "").strip()
    if not title:
        errors["title"] = [_("Give the activity a title.")]
    if not summary:
        errors["summary"] = [_("Say what was done and what came of it.")]
    members = {v.pk: v for v in _members_of(alliance)}
    chosen = list({v.pk: v for v in villages}.values()) or list(members.values())
    strangers = [v for v in chosen if v.pk not in members]
    if strangers:
        errors["villages"] = [_("Not member villages: %(names)s.") % {"names": _names(strangers)}]
    files = list(files)
    cleaned = []
    if len(files) > MAX_EVIDENCE:
        errors["files"] = [_("At most %(n)d files per activity.") % {"n": MAX_EVIDENCE}]
    else:
        for upload in files:
            try:
                cleaned.append(clean_upload(upload, getattr(upload, "name", "")))
            except ValidationError as error:
                errors.setdefault("files", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    activity = JointActivity.objects.create(
        alliance=alliance, occurred_on=occurred_on, title=title, summary=summary, recorded_by=actor
    )
    activity.villages.set(chosen)
    for clean in cleaned:
        evidence = JointEvidence(
            activity=activity,
            name=clean.name,
            content_type=clean.content_type,
            kind=clean.kind,
            size=len(clean.content),
        )
        evidence.file.save(clean.name, ContentFile(clean.content), save=False)
        evidence.save()
    _event(alliance, actor, AllianceAction.ACTIVITY, reason=title)
    return activity


# ---------------------------------------------------------------------------------------------------------------
# The planner's proposals


def can_plan(actor, area: Region) -> bool:
    """Organisation admins plan the alliances of a city or county they administer."""
    return (
        actor.is_authenticated
        and area.depth in (Level.CITY, Level.COUNTY)
        and actor.scope.administers(area.path)
    )


LIMITS = {  # parameter -> (lowest, highest)
    "hubs_min": (1, 500),
    "hubs_max": (1, 500),
    "max_km": (1, 100),
    "max_size": (2, 300),
    "time_limit": (5, 600),
}


def clean_params(area: Region, params: dict | None) -> dict:
    """The area's defaults overlaid with ``params``, checked; errors name the parameter."""
    merged = {**default_params(area), **{k: v for k, v in (params or {}).items() if v not in (None, "")}}
    errors: dict[str, str] = {}
    for key, (low, high) in LIMITS.items():
        value = merged[key]
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        if number is None or not math.isfinite(number) or not low <= number <= high:
            errors[key] = _("From %(low)s to %(high)s.") % {"low": low, "high": high}
        elif key != "max_km":
            merged[key] = int(number)
    if "hubs_min" not in errors and "hubs_max" not in errors and merged["hubs_min"] > merged["hubs_max"]:
        errors["hubs_min"] = _("At most the largest number of alliances.")
    if merged["qualification"] not in Qualification.values:
        errors["qualification"] = _("Unknown qualification.")
    if merged["weighting"] not in Weighting.values:
        errors["weighting"] = _("Unknown weighting.")
    if errors:
        raise ValidationError(errors)
    merged["max_km"] = float(merged["max_km"])
    return {key: merged[key] for key in (*LIMITS, "qualification", "weighting")}


def start(*, actor, area: Region, params: dict | None = None, background: bool = True) -> PlanRun:
    """Record a proposal and solve it, by a task worker (``background``) or now."""
    if not can_plan(actor, area):
        raise PermissionDenied(_("Only the organisation department of a city or county plans its alliances."))
    params = clean_params(area, params)
    with transaction.atomic():
        run = PlanRun.objects.create(region=area, params=params, created_by=actor)
        if background:
            from .tasks import run_plan_job

            job = job_services.create_job(
                kind=PLAN_JOB_KIND,
                created_by=actor,
                region=area,
                title=_("Alliance plan #%(n)d · %(area)s") % {"n": run.pk, "area": area.name},
                params={"run": run.pk},
            )
            job.result_url = reverse("alliances:plan_detail", args=[run.pk])
            job.save(update_fields=["result_url"])
            run.job = job
            run.save(update_fields=["job"])
            job_services.enqueue(job, run_plan_job)
    if not background:
        solve(run, actor=actor)
        run.refresh_from_db()
    return run


def solve(run: PlanRun, actor=None, progress=None) -> PlanRun:
    """Solve a queued proposal once; one that cannot be solved keeps nothing but the reason."""
    if not PlanRun.objects.filter(pk=run.pk, status=PlanStatus.QUEUED).update(status=PlanStatus.RUNNING):
        return run
    problem, records = plan_input(run.region, run.params)
    if progress:
        progress(f"{len(problem.villages)} villages, {len(problem.candidates)} candidate hubs")
    try:
        result = planner.solve(problem)
    except planner.PlanError as error:
        PlanRun.objects.filter(pk=run.pk).update(
            status=PlanStatus.FAILED,
            error={"code": error.code, **error.figures},
            summary={"villages": len(problem.villages), "candidates": len(problem.candidates)},
            finished_at=timezone.now(),
        )
        return run
    with transaction.atomic():
        _keep(run, problem, result, records)
        PlanEvent.objects.create(
            run=run,
            action=PlanAction.SOLVE,
            actor=actor or run.created_by,
            detail=_("%(status)s in %(seconds).1f s, gap %(gap).2f %%")
            % {
                "status": result.solver_status or result.status,
                "seconds": result.seconds,
                "gap": result.gap_pct,
            },
        )
    return run


def _keep(run: PlanRun, problem, result: planner.PlanResult, records) -> None:
    hubs = {
        c.village_id: PlanHub(run=run, village_id=c.village_id, mentor_id=c.mentor_id) for c in result.hubs
    }
    PlanHub.objects.bulk_create(hubs.values(), batch_size=1000)
    rows = []
    for a in result.assignments:
        rows.append(
            PlanVillage(
                run=run,
                village_id=a.village_id,
                weight=records.weights[a.village_id],
                hub=hubs[a.hub_village_id],
                km=a.km,
            )
        )
    for u in result.unassigned:
        rows.append(
            PlanVillage(
                run=run,
                village_id=u.village_id,
                weight=records.weights[u.village_id],
                reason=u.reason,
                nearest_id=u.nearest_hub_village_id,
                nearest_km=u.nearest_km,
            )
        )
    PlanVillage.objects.bulk_create(rows, batch_size=2000)
    greedy = result.greedy_objective
    solver = {
        "status": result.status,
        "solver_status": result.solver_status,
        "objective_km": round(result.objective_km, 1),
        "bound_km": round(result.bound * planner.KM_STEP, 1),
        "gap_pct": round(result.gap_pct, 3),
        "seconds": round(result.seconds, 2),
        "nodes": result.nodes,
        "arcs": result.arcs,
        "rows": result.rows,
        "greedy_objective_km": round(greedy * planner.KM_STEP, 1),
        "greedy_ratio": round(greedy / result.objective, 3) if result.objective else None,
        "greedy_without_room": result.greedy_unassigned,
        "without_room": result.without_room,
    }
    summary = {
        "villages": len(problem.villages),
        "candidates": len(problem.candidates),
        "without_coordinates": records.without_coordinates,
        "solver": solver,
    }
    PlanRun.objects.filter(pk=run.pk).update(
        status=PlanStatus.PROPOSED, summary=summary, finished_at=timezone.now()
    )
    run.refresh_from_db()
    _summarise(run)


def _summarise(run: PlanRun) -> dict:
    """The proposal's own figures, after the solver or an edit."""
    rows = list(run.villages.values("hub_id", "km", "weight", "reason"))
    placed = [r for r in rows if r["hub_id"] is not None]
    sizes = run.hubs.annotate(n=Count("members")).values_list("n", flat=True)
    limit_km, limit_size = run.params["max_km"], run.params["max_size"]
    objective = sum(r["weight"] * int(planner.steps(r["km"])) for r in placed) * planner.KM_STEP
    proposal = {
        "hubs": run.hubs.count(),
        "placed": len(placed),
        "unplaced": {reason: sum(1 for r in rows if r["reason"] == reason) for reason in Unplaced.values},
        "objective_km": round(objective, 1),
        "mean_km": round(sum(r["km"] for r in placed) / len(placed), 2) if placed else 0,
        "longest_km": round(max((r["km"] for r in placed), default=0), 2),
        "beyond_limit": sum(1 for r in placed if r["km"] > limit_km + 1e-9),
        "over_size": sum(1 for n in sizes if n > limit_size),
        "edited": bool(run.events.exclude(action=PlanAction.SOLVE).exists()),
    }
    summary = {**run.summary, "proposal": proposal}
    PlanRun.objects.filter(pk=run.pk).update(summary=summary)
    run.summary = summary
    return proposal


def error_message(run: PlanRun) -> str:
    """Why a plan could not be made, with what would change it."""
    error = run.error or {}
    code = error.get("code")
    messages = {
        "no_villages": _("The area has no village with coordinates outside a live alliance."),
        "no_candidates": _(
            "No village of the area is the home of a qualified mentor who leads no alliance yet: appoint village "
            "mentors, or let every appointed mentor qualify."
        ),
        "too_few_candidates": _(
            "Only %(candidates)s villages have a qualified mentor, fewer than the %(hubs_min)s alliances asked for."
        ),
        "no_room": _(
            "%(villages)s villages are within reach of a hub, but %(hubs_max)s alliances of at most %(max_size)s "
            "villages hold fewer: allow at least %(hubs_needed)s alliances, or up to %(size_needed)s villages each."
        ),
        "bad_limits": _("The limits are out of range."),
    }
    text = messages.get(code, _("The plan could not be made (%(code)s)."))
    return text % {"code": code, **{k: v for k, v in error.items() if k != "code"}}


def _require_plan(actor, run: PlanRun) -> None:
    if not can_plan(actor, run.region):
        raise PermissionDenied(
            _("Only the organisation department of the planned area changes its proposals.")
        )


def _lock(run: PlanRun) -> None:
    """Serialise changes to one proposal (a row lock on PostgreSQL; SQLite writes one at a time anyway) and make
    sure it is still under review."""
    if not PlanRun.objects.filter(pk=run.pk, status=PlanStatus.PROPOSED).update(revision=F("revision") + 1):
        raise ValidationError(_("Only a proposal under review can be changed."))


def _km(village: Region, hub: Region) -> float:
    if village.pk == hub.pk:
        return 0.0
    return round(planner.road_km(village.lng, village.lat, hub.lng, hub.lat), 3)


@transaction.atomic
def move(*, actor, run: PlanRun, village: Region, hub: PlanHub) -> PlanVillage:
    """Put a village into another proposed alliance (or an unplaced one into one), within the size limit."""
    _require_plan(actor, run)
    _lock(run)
    row = run.villages.select_related("village", "hub__village").filter(village=village).first()
    if row is None or hub.run_id != run.pk:
        raise ValidationError(_("Choose a village and a hub of this proposal."))
    if row.hub_id == hub.pk:
        raise ValidationError(_("%(village)s is in that alliance already.") % {"village": village.name})
    if row.hub_id is not None and row.hub.village_id == village.pk:
        raise ValidationError(
            _("%(village)s is a hub: drop the hub to move its village.") % {"village": village.name}
        )
    size = hub.members.count()
    if size >= run.params["max_size"]:
        raise ValidationError(
            _("%(hub)s has %(n)d villages already, the size limit.") % {"hub": hub.village.name, "n": size}
        )
    row.hub, row.km, row.reason, row.moved = hub, _km(row.village, hub.village), "", True
    row.nearest, row.nearest_km = None, None
    row.save(update_fields=["hub", "km", "reason", "moved", "nearest", "nearest_km"])
    beyond = row.km > run.params["max_km"]
    PlanEvent.objects.create(
        run=run,
        action=PlanAction.MOVE,
        actor=actor,
        detail=_("%(village)s → %(hub)s, %(km).1f km%(beyond)s")
        % {
            "village": village.name,
            "hub": hub.village.name,
            "km": row.km,
            "beyond": _(" (beyond the distance limit)") if beyond else "",
        },
    )
    _summarise(run)
    return row


@transaction.atomic
def drop_hub(*, actor, run: PlanRun, hub: PlanHub) -> list[PlanVillage]:
    """Drop a proposed alliance: its villages (its hub's own included) go to the nearest other hub within the
    distance limit that has room, the villages with the fewest such hubs first; the rest are left unplaced."""
    _require_plan(actor, run)
    _lock(run)
    if hub.run_id != run.pk:
        raise ValidationError(_("Choose a hub of this proposal."))
    others = list(run.hubs.exclude(pk=hub.pk).select_related("village").annotate(n=Count("members")))
    room = {h.pk: run.params["max_size"] - h.n for h in others}
    rows = list(hub.members.select_related("village"))
    limit = run.params["max_km"]
    options = {
        row.pk: sorted(
            ((_km(row.village, h.village), h) for h in others), key=lambda item: (item[0], item[1].pk)
        )
        for row in rows
    }
    within = {pk: [(km, h) for km, h in found if km <= limit] for pk, found in options.items()}
    moved = []
    for row in sorted(rows, key=lambda r: (len(within[r.pk]), -r.weight, r.village.path)):
        target = next(((km, h) for km, h in within[row.pk] if room[h.pk] > 0), None)
        if target is None:
            nearest = options[row.pk][0] if options[row.pk] else (None, None)
            row.hub, row.km, row.reason = None, None, Unplaced.HUB_DROPPED
            row.nearest = nearest[1].village if nearest[1] else None
            row.nearest_km = nearest[0]
        else:
            km, target_hub = target
            room[target_hub.pk] -= 1
            row.hub, row.km, row.reason, row.nearest, row.nearest_km = target_hub, km, "", None, None
            moved.append(row)
        row.moved = True
    PlanVillage.objects.bulk_update(rows, ["hub", "km", "reason", "nearest", "nearest_km", "moved"])
    name = hub.village.name
    hub.delete()
    PlanEvent.objects.create(
        run=run,
        action=PlanAction.DROP_HUB,
        actor=actor,
        detail=_("%(hub)s dropped: %(moved)d villages moved to other hubs, %(left)d left unplaced")
        % {"hub": name, "moved": len(moved), "left": len(rows) - len(moved)},
    )
    _summarise(run)
    return rows


def alliance_name(village: Region) -> str:
    return _("%(village)s party-building alliance") % {"village": village.name}


@transaction.atomic
def adopt(*, actor, run: PlanRun, founded_on: dt.date | None = None) -> list[Alliance]:
    """Turn every proposed alliance into a forming alliance, all or none."""
    _require_plan(actor, run)
    founded_on = founded_on or timezone.localdate()
    if founded_on > timezone.localdate():
        raise ValidationError({"founded_on": _("The founding date cannot be in the future.")})
    if not PlanRun.objects.filter(pk=run.pk, status=PlanStatus.PROPOSED).update(
        status=PlanStatus.ADOPTED, decided_by=actor, decided_at=timezone.now()
    ):
        raise ValidationError(_("Only a proposal under review can be adopted."))
    hubs = list(run.hubs.select_related("village", "mentor__person", "mentor__region"))
    if not hubs:
        raise ValidationError(_("The proposal has no alliance left to adopt."))
    members: dict[int, list[Region]] = {h.pk: [] for h in hubs}
    for row in run.villages.filter(hub__isnull=False).select_related("village"):
        members[row.hub_id].append(row.village)
    failures = []
    people = [hub.mentor.person_id for hub in hubs]
    for hub in hubs:
        if people.count(hub.mentor.person_id) > 1:
            failures.append(
                f"{hub.village.name}：{_('%(name)s would lead two alliances.') % {'name': hub.mentor.person.name}}"
            )
        problems = _check_lead(hub.mentor, hub.village) + _check_villages(run.region, members[hub.pk])
        if problems:
            failures.append(f"{hub.village.name}：{' '.join(problems)}")
    if failures:
        shown = "；".join(failures[:10]) + ("……" if len(failures) > 10 else "")
        raise ValidationError(
            _("Nothing was adopted: %(n)d proposed alliances no longer fit (plan again): %(list)s")
            % {"n": len(failures), "list": shown}
        )
    alliances = [
        _create(
            actor=actor,
            name=alliance_name(hub.village),
            region=run.region,
            hub=hub.village,
            lead_mentor=hub.mentor,
            members=members[hub.pk],
            theme="",
            goals="",
            targets=[],
            founded_on=founded_on,
            plan=run,
        )
        for hub in hubs
    ]
    PlanEvent.objects.create(
        run=run,
        action=PlanAction.ADOPT,
        actor=actor,
        detail=_("%(n)d alliances formed") % {"n": len(alliances)},
    )
    run.status = PlanStatus.ADOPTED
    return alliances


@transaction.atomic
def discard(*, actor, run: PlanRun) -> PlanRun:
    _require_plan(actor, run)
    if not PlanRun.objects.filter(pk=run.pk, status__in=[PlanStatus.PROPOSED, PlanStatus.FAILED]).update(
        status=PlanStatus.DISCARDED, decided_by=actor, decided_at=timezone.now()
    ):
        raise ValidationError(_("Only a proposal under review can be discarded."))
    PlanEvent.objects.create(run=run, action=PlanAction.DISCARD, actor=actor)
    run.refresh_from_db()
    return run


def is_open(run: PlanRun) -> bool:
    return run.status in OPEN_PLAN_STATES
