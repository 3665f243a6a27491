"""Radiation alliances (党建联盟) pages: the list, forming one, its page (members, goals, joint activities, how each
village is doing, the map), changes and steps; the planner's proposals, their review, edits and adoption."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View
from django.views.generic import FormView
from django_htmx.http import HttpResponseClientRefresh

from bangdai.accounts.choices import Role
from bangdai.core.forms import add_service_errors
from bangdai.core.views import CurrentRegionFilterMixin, ScopedListView, ScopedMixin, stored_file_response

from . import maps, selectors, services
from .choices import AllianceStatus, PlanStatus, Unplaced
from .filtersets import AllianceFilterSet, PlanFilterSet
from .forms import (
    ActivityForm,
    AdoptForm,
    AllianceForm,
    DissolveForm,
    DropHubForm,
    GoalsFields,
    MembersForm,
    MoveForm,
    PlanForm,
    RemoveMemberForm,
    organising_regions,
    plan_areas,
    target_formset,
    targets_of,
)
from .models import Alliance, JointEvidence, PlanRun
from .tables import AllianceTable, PlanTable


def _org_admin(user) -> bool:
    return user.is_authenticated and user.scope.has_role(Role.ORG_ADMIN)


class AllianceListView(CurrentRegionFilterMixin, ScopedListView):
    model = Alliance
    table_class = AllianceTable
    filterset_class = AllianceFilterSet
    export_name = "alliances"
    export_columns = [
        (gettext_lazy("Alliance"), lambda a: a.name),
        (gettext_lazy("Theme"), lambda a: a.theme),
        (gettext_lazy("Hub village code"), lambda a: a.hub.code),
        (gettext_lazy("Hub village"), lambda a: a.hub.name),
        (gettext_lazy("Lead mentor"), lambda a: a.lead_mentor.person.name),
        (gettext_lazy("Villages"), lambda a: a.member_count),
        (gettext_lazy("Organised by"), lambda a: a.region.name),
        (gettext_lazy("Across counties"), lambda a: a.spans_counties),
        (gettext_lazy("Status"), lambda a: a.get_status_display()),
        (gettext_lazy("Founded on"), lambda a: a.founded_on),
    ]

    def base_queryset(self):
        return (
            Alliance.objects.select_related("hub", "region", "lead_mentor__person")
            .defer("lead_mentor__person__id_number", "lead_mentor__person__phone")
            .annotate(member_count=Count("members", filter=Q(members__current=True)))
            .order_by("-founded_on", "-pk")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=gettext_lazy("Alliances"),
            can_add=_org_admin(self.request.user),
            add_url=reverse("alliances:create"),
            **kwargs,
        )


def _require_org_admin(request) -> None:
    if request.user.is_authenticated and not _org_admin(request.user):
        raise PermissionDenied


class AllianceCreateView(ScopedMixin, FormView):
    """Form an alliance: organising region, hub village, lead mentor, members, goals and targets."""

    model = Alliance
    form_class = AllianceForm
    template_name = "alliances/form.html"

    def dispatch(self, request, *args, **kwargs):
        _require_org_admin(request)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        regions = list(organising_regions(self.request.user)[:1])
        return {"region": regions[0].code if regions else None, "hub": self.request.GET.get("hub")}

    def get_context_data(self, **kwargs):
        data = self.request.POST if self.request.method == "POST" else None
        kwargs.setdefault("targets", target_formset(data))
        return super().get_context_data(page_title=_("Form an alliance"), **kwargs)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        targets = target_formset(request.POST)
        if not (form.is_valid() & targets.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, targets=targets))
        data = form.cleaned_data
        try:
            alliance = services.form_alliance(
                actor=request.user,
                name=data["name"],
                theme=data["theme"],
                region=data["region"],
                hub=data["hub"],
                lead_mentor=data["lead_mentor"],
                members=data["members"],
                goals=data["goals"],
                targets=targets_of(targets),
                founded_on=data["founded_on"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form, targets=targets))
        messages.success(request, _("Alliance formed. Write its shared goals, then start it."))
        return redirect("alliances:detail", pk=alliance.pk)


class AlliancePageMixin(ScopedMixin):
    model = Alliance
    template_name = "alliances/detail.html"

    def base_queryset(self):
        return Alliance.objects.select_related(
            "hub", "region", "lead_mentor__person", "lead_mentor__region", "plan", "created_by"
        ).defer("lead_mentor__person__id_number", "lead_mentor__person__phone")

    def get_alliance(self, pk) -> Alliance:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def page_context(self, alliance, **overrides) -> dict:
        user = self.request.user
        has_ledger, following = selectors.member_activity(alliance, user)
        can_manage = services.can_manage(user, alliance)
        live = alliance.is_live
        activities = list(
            alliance.activities.select_related("recorded_by").prefetch_related("villages", "evidence")[:20]
        )
        context = {
            "alliance": alliance,
            "object": alliance,
            "following": following,
            "has_ledger": has_ledger,
            "activities": activities,
            "activity_count": alliance.activities.count(),
            "events": alliance.events.select_related("actor", "village").order_by("-at", "-id")[:30],
            "former": alliance.members.filter(current=False).select_related("village"),
            "map": maps.alliance_map(alliance, [row.member for row in following]),
            "can_manage": can_manage and live,
            "can_record": services.can_record(user, alliance) and live,
            "can_activate": can_manage and services.can_activate(alliance),
            "members_form": MembersForm(user=user) if can_manage and live else None,
            "dissolve_form": DissolveForm(prefix="dissolve") if can_manage and live else None,
        }
        context.update(overrides)
        return context

    def render_page(self, alliance, **overrides):
        return render(self.request, self.template_name, self.page_context(alliance, **overrides))


class AllianceDetailView(AlliancePageMixin, View):
    def get(self, request, pk):
        return self.render_page(self.get_alliance(pk))


class AllianceEditView(AlliancePageMixin, View):
    """Change the name, theme, shared goals and targets."""

    template_name = "alliances/edit.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.alliance = self.get_alliance(kwargs["pk"])
        if not services.can_manage(request.user, self.alliance):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def respond(self, form, targets):
        return render(
            self.request,
            self.template_name,
            {"alliance": self.alliance, "form": form, "targets": targets, "page_title": self.alliance.name},
        )

    def get(self, request, pk):
        a = self.alliance
        form = GoalsFields(initial={"name": a.name, "theme": a.theme, "goals": a.goals})
        return self.respond(form, target_formset(targets=a.targets))

    def post(self, request, pk):
        form, targets = GoalsFields(request.POST), target_formset(request.POST)
        if not (form.is_valid() & targets.is_valid()):
            return self.respond(form, targets)
        try:
            services.update_alliance(
                request.user, self.alliance, **form.cleaned_data, targets=targets_of(targets)
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.respond(form, targets)
        messages.success(request, _("Saved."))
        return redirect("alliances:detail", pk=self.alliance.pk)


ACTIONS = ("activate", "dissolve", "add_members", "remove_member")


class AllianceActionView(AlliancePageMixin, View):
    """POST one step: start, dissolve, add villages, a village leaves. The role check comes first (403)."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        if action not in ACTIONS:
            raise Http404
        alliance = self.get_alliance(pk)
        if not services.can_manage(request.user, alliance):
            raise PermissionDenied
        form = None
        try:
            if action == "activate":
                services.activate(request.user, alliance)
                done = _("The alliance has started.")
            elif action == "dissolve":
                form = DissolveForm(request.POST, prefix="dissolve")
                if not form.is_valid():
                    return self.render_page(alliance, dissolve_form=form, failed="dissolve")
                services.dissolve(request.user, alliance, form.cleaned_data["reason"])
                done = _("The alliance has been dissolved.")
            elif action == "add_members":
                form = MembersForm(request.POST, user=request.user)
                if not form.is_valid():
                    return self.render_page(alliance, members_form=form, failed="add_members")
                added = services.add_members(request.user, alliance, form.cleaned_data["villages"])
                done = _("%(n)d villages joined.") % {"n": len(added)}
            else:
                form = RemoveMemberForm(request.POST, alliance=alliance)
                if not form.is_valid():
                    raise ValidationError(form.errors.get("village") or _("Choose a member village."))
                services.remove_member(
                    request.user, alliance, form.cleaned_data["village"], form.cleaned_data["reason"]
                )
                done = _("%(village)s has left the alliance.") % {
                    "village": form.cleaned_data["village"].name
                }
        except ValidationError as error:
            if form is not None and action in ("dissolve", "add_members"):
                add_service_errors(form, error)
                key = "dissolve_form" if action == "dissolve" else "members_form"
                return self.render_page(self.get_alliance(pk), **{key: form, "failed": action})
            for message in error.messages:
                messages.error(request, message)
            return redirect("alliances:detail", pk=alliance.pk)
        messages.success(request, done)
        return redirect("alliances:detail", pk=alliance.pk)


class ActivityCreateView(AlliancePageMixin, View):
    """Record a joint activity with its evidence; the organising department and the lead mentor may."""

    template_name = "alliances/activity_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.alliance = self.get_alliance(kwargs["pk"])
        if not services.can_record(request.user, self.alliance):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def respond(self, form):
        return render(self.request, self.template_name, {"alliance": self.alliance, "form": form})

    def get(self, request, pk):
        return self.respond(ActivityForm(alliance=self.alliance))

    def post(self, request, pk):
        form = ActivityForm(request.POST, request.FILES, alliance=self.alliance)
        if not form.is_valid():
            return self.respond(form)
        data = form.cleaned_data
        try:
            services.record_activity(
                actor=request.user,
                alliance=self.alliance,
                occurred_on=data["occurred_on"],
                title=data["title"],
                summary=data["summary"],
                villages=data["villages"],
                files=data["files"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.respond(form)
        messages.success(request, _("Joint activity recorded."))
        return redirect("alliances:detail", pk=self.alliance.pk)


class EvidenceView(ScopedMixin, View):
    """An evidence file, to whoever sees its alliance."""

    model = JointEvidence

    def get_queryset(self):
        visible = Alliance.objects.visible_to(self.request.user)
        return JointEvidence.objects.filter(activity__alliance__in=visible)

    def get(self, request, pk):
        evidence = get_object_or_404(self.get_queryset(), pk=pk)
        return stored_file_response(
            evidence.file,
            content_type=evidence.content_type,
            filename=evidence.name,
            attachment=evidence.kind != "image",
        )


# ---------------------------------------------------------------------------------------------------------------
# The planner


class PlanListView(CurrentRegionFilterMixin, ScopedListView):
    model = PlanRun
    table_class = PlanTable
    filterset_class = PlanFilterSet
    export_name = "alliance-plans"
    export_columns = [
        (pgettext_lazy("alliance plan", "Plan"), lambda r: r.pk),
        (gettext_lazy("Region code"), lambda r: r.region.code),
        (pgettext_lazy("alliance plan", "Area"), lambda r: r.region.name),
        (gettext_lazy("Status"), lambda r: r.get_status_display()),
        (gettext_lazy("Alliances"), lambda r: r.summary.get("proposal", {}).get("hubs")),
        (gettext_lazy("Proven gap (%)"), lambda r: r.summary.get("solver", {}).get("gap_pct")),
        (gettext_lazy("Created"), lambda r: r.created_at),
    ]

    def base_queryset(self):
        return PlanRun.objects.select_related("region", "created_by").order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=gettext_lazy("Alliance plans"),
            can_add=_org_admin(self.request.user),
            add_url=reverse("alliances:plan_new"),
            **kwargs,
        )


class PlanStartView(ScopedMixin, FormView):
    """Choose a city or county and the limits; the plan is solved by a background job."""

    model = PlanRun
    form_class = PlanForm
    template_name = "alliances/plan_new.html"

    def dispatch(self, request, *args, **kwargs):
        _require_org_admin(request)
        if request.user.is_authenticated and not plan_areas(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        areas = plan_areas(self.request.user)
        current = self.request.region
        chosen = next((a for a in areas if current is not None and a.pk == current.pk), areas[0])
        code = self.request.GET.get("area") or chosen.code
        area = next((a for a in areas if a.code == code), chosen)
        return {"area": area.code, **selectors.default_params(area)}

    def form_valid(self, form):
        try:
            run = services.start(
                actor=self.request.user, area=form.cleaned_data["area"], params=form.params(), background=True
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Plan #%(n)d is queued; this page shows its progress.") % {"n": run.pk}
        )
        return redirect("alliances:plan_detail", pk=run.pk)


class PlanPageMixin(ScopedMixin):
    model = PlanRun
    template_name = "alliances/plan_detail.html"

    def base_queryset(self):
        return PlanRun.objects.select_related("region", "job", "created_by", "decided_by")

    def get_run(self, pk) -> PlanRun:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def page_context(self, run, **overrides) -> dict:
        editable = run.status == PlanStatus.PROPOSED and services.can_plan(self.request.user, run.region)
        hubs = list(
            run.hubs.select_related("village", "mentor__person")
            .defer("mentor__person__id_number", "mentor__person__phone")
            .annotate(size=Count("members"))
            .order_by("village__path")
        )
        rows = list(
            run.villages.select_related("village", "hub__village", "nearest").order_by("village__path")
        )
        members: dict[int, list] = {h.pk: [] for h in hubs}
        for row in rows:
            if row.hub_id is not None:
                members[row.hub_id].append(row)
        # Each alliance's hub village first, then its villages in the tree's order.
        groups = [(h, sorted(members[h.pk], key=lambda r, h=h: r.village_id != h.village_id)) for h in hubs]
        context = {
            "run": run,
            "object": run,
            "is_open": services.is_open(run),
            "solver": run.summary.get("solver"),
            "proposal": run.summary.get("proposal"),
            "summary": run.summary,
            "error": services.error_message(run) if run.status == PlanStatus.FAILED else "",
            "groups": groups,
            "unplaced": [r for r in rows if r.hub_id is None],
            "reasons": dict(Unplaced.choices),
            "map": maps.plan_map(run) if run.status in (PlanStatus.PROPOSED, PlanStatus.ADOPTED) else None,
            "events": run.events.select_related("actor").order_by("-at", "-id")[:30],
            "alliances": run.alliances.all() if run.status == PlanStatus.ADOPTED else [],
            "editable": editable,
            "adopt_form": AdoptForm(),
        }
        context.update(overrides)
        return context

    def render_page(self, run, **overrides):
        return render(self.request, self.template_name, self.page_context(run, **overrides))


class PlanDetailView(PlanPageMixin, View):
    """The proposal with its map; htmx polls its progress while it is solved."""

    def get(self, request, pk):
        run = self.get_run(pk)
        htmx = getattr(request, "htmx", None)
        if htmx and not htmx.boosted and htmx.target == "plan-progress":
            if services.is_open(run):
                return render(request, "alliances/_progress.html", {"run": run})
            return HttpResponseClientRefresh()
        return self.render_page(run)


class PlanActionView(PlanPageMixin, View):
    """POST one change to a proposal: move a village, drop a hub, adopt, discard. Role first (403)."""

    http_method_names = ["post"]
    action = ""

    def post(self, request, pk):
        run = self.get_run(pk)
        if not services.can_plan(request.user, run.region):
            raise PermissionDenied
        try:
            return self.act(run)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("alliances:plan_detail", pk=run.pk)

    def act(self, run):
        raise NotImplementedError

    def invalid(self, run, form):
        for errors in form.errors.values():
            for message in errors:
                messages.error(self.request, message)
        return redirect("alliances:plan_detail", pk=run.pk)


class PlanEditView(PlanActionView):
    def act(self, run):
        if self.request.POST.get("action") == "drop":
            form = DropHubForm(self.request.POST, run=run)
            if not form.is_valid():
                return self.invalid(run, form)
            hub = form.cleaned_data["hub"]
            services.drop_hub(actor=self.request.user, run=run, hub=hub)
            messages.success(self.request, _("%(hub)s dropped.") % {"hub": hub.village.name})
        else:
            form = MoveForm(self.request.POST, run=run)
            if not form.is_valid():
                return self.invalid(run, form)
            row = services.move(
                actor=self.request.user,
                run=run,
                village=form.cleaned_data["village"],
                hub=form.cleaned_data["hub"],
            )
            messages.success(
                self.request,
                _("%(village)s moved to %(hub)s.")
                % {"village": row.village.name, "hub": row.hub.village.name},
            )
        return redirect("alliances:plan_detail", pk=run.pk)


class PlanAdoptView(PlanActionView):
    def act(self, run):
        form = AdoptForm(self.request.POST)
        if not form.is_valid():
            return self.invalid(run, form)
        alliances = services.adopt(
            actor=self.request.user, run=run, founded_on=form.cleaned_data["founded_on"]
        )
        messages.success(
            self.request,
            _("Adopted: %(n)d alliances formed. Write each one's shared goals, then start it.")
            % {"n": len(alliances)},
        )
        return redirect(f"{reverse('alliances:list')}?status={AllianceStatus.FORMING}")


class PlanDiscardView(PlanActionView):
    def act(self, run):
        services.discard(actor=self.request.user, run=run)
        messages.success(self.request, _("Plan #%(n)d discarded.") % {"n": run.pk})
        return redirect("alliances:plan_detail", pk=run.pk)
