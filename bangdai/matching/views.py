"""Matching pages: the runs, starting one, the review page with its adjustments, acceptance, and comparison."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView
from django_htmx.http import HttpResponseClientRefresh

from bangdai.accounts.choices import EDITING_ROLES
from bangdai.core.forms import add_service_errors
from bangdai.core.views import CurrentRegionFilterMixin, ScopedListView, ScopedMixin
from bangdai.jobs.models import Job
from bangdai.mentors.selectors import open_programmes
from bangdai.programmes.models import Programme

from . import services
from .filtersets import MatchRunFilterSet
from .forms import AdjustForm, ParamsForm, StartForm, SwapForm
from .models import MatchRun
from .review import compare_context, review_context
from .selectors import default_params, match_areas
from .tables import RunTable


class RunListView(CurrentRegionFilterMixin, ScopedListView):
    model = MatchRun
    table_class = RunTable
    filterset_class = MatchRunFilterSet
    export_name = "matching-runs"
    export_columns = [
        (gettext_lazy("Run"), lambda r: r.number),
        (gettext_lazy("Programme"), lambda r: r.programme.name),
        (gettext_lazy("Region code"), lambda r: r.region.code),
        (gettext_lazy("Area"), lambda r: r.region.name),
        (gettext_lazy("Status"), lambda r: r.get_status_display()),
        (gettext_lazy("Paired"), lambda r: r.summary.get("paired")),
        (gettext_lazy("Unpaired"), lambda r: r.summary.get("unpaired")),
        (gettext_lazy("Mean score"), lambda r: r.summary.get("mean_score")),
        (gettext_lazy("Adjusted from"), lambda r: r.parent.number if r.parent else None),
        (gettext_lazy("Created"), lambda r: timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M")),
    ]

    def base_queryset(self):
        return MatchRun.objects.select_related("programme", "region", "parent", "created_by").order_by(
            "-created_at", "-pk"
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=gettext_lazy("Matching runs"),
            can_add=self.request.user.scope.has_role(*EDITING_ROLES),
            add_url=reverse("matching:start"),
            **kwargs,
        )


class StartView(ScopedMixin, FormView):
    """Choose a programme (if none is given), then the area, who takes part and the weights; the run is queued."""

    model = MatchRun
    form_class = StartForm
    template_name = "matching/start.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.scope.has_role(*EDITING_ROLES):
            raise PermissionDenied
        self.programme = None
        programme_id = request.GET.get("programme")
        if programme_id:
            if not programme_id.isdigit():
                raise Http404
            self.programme = get_object_or_404(
                Programme.objects.visible_to(request.user).select_related("region"), pk=programme_id
            )
            self.areas = match_areas(request.user, self.programme)
            if not self.areas:
                raise PermissionDenied(_("You run matches for no area of this programme."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if self.programme is None:
            return render(
                request,
                self.template_name,
                {"programmes": open_programmes(request.user).order_by("region__path", "-year")},
            )
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.programme is None:
            raise Http404
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "user": self.request.user,
            "programme": self.programme,
            "params": default_params(self.programme),
        }

    def get_initial(self):
        current = getattr(self.request.region, "pk", None)
        chosen = next((a for a in self.areas if a.pk == current), self.areas[0])
        return {"area": self.request.GET.get("area") or chosen.code}

    def get_context_data(self, **kwargs):
        return super().get_context_data(programme=self.programme, **kwargs)

    def form_valid(self, form):
        try:
            run = services.start(
                actor=self.request.user,
                programme=self.programme,
                area=form.cleaned_data["area"],
                params=form.params(),
                background=True,
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Run #%(n)d is queued; this page shows its progress.") % {"n": run.number}
        )
        return redirect("matching:detail", pk=run.pk)


class RunPageMixin(ScopedMixin):
    model = MatchRun
    template_name = "matching/detail.html"

    def base_queryset(self):
        return MatchRun.objects.select_related(
            "programme__region", "region", "parent", "job", "created_by", "decided_by"
        )

    def get_run(self, pk) -> MatchRun:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def render_review(self, run, **overrides):
        context = review_context(self.request, run, **overrides)
        return render(self.request, self.template_name, context)


class RunDetailView(RunPageMixin, View):
    """The review page; htmx polls its progress while the run is solved, and swaps its pairs table."""

    def get(self, request, pk):
        run = self.get_run(pk)
        htmx = getattr(request, "htmx", None)
        if htmx and not htmx.boosted and htmx.target == "run-progress":
            if services.is_open(run):
                return render(request, "matching/_progress.html", {"run": run})
            return HttpResponseClientRefresh()
        if htmx and not htmx.boosted and htmx.target == "table-area":
            context = review_context(request, run, only_table=True)
            return render(request, "matching/_pair_table.html", context)
        return self.render_review(run)


class RunActionView(RunPageMixin, View):
    """POST one change to a run. The role check comes first (403); errors show on the review page."""

    http_method_names = ["post"]

    def post(self, request, pk):
        run = self.get_run(pk)
        if not services.can_match(request.user, run.region):
            raise PermissionDenied
        try:
            return self.act(run)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return self.render_review(self.get_run(pk))

    def act(self, run):
        raise NotImplementedError

    def invalid(self, run, form, **overrides):
        for errors in form.errors.values():
            for message in errors:
                messages.error(self.request, message)
        return self.render_review(run, **overrides)

    def started(self, run, new):
        messages.success(
            self.request,
            _("Run #%(n)d re-runs #%(m)d with your change; this page shows its progress.")
            % {"n": new.number, "m": run.number},
        )
        return redirect("matching:detail", pk=new.pk)


class AdjustView(RunActionView):
    """Pin, unpin or remove pairs, leave records out, or change the weights: a new run from this one."""

    def act(self, run):
        if self.request.POST.get("action") == "rerun":
            form = ParamsForm(self.request.POST, params=run.params)
            if not form.is_valid():
                return self.invalid(run, form, params_form=form)
            changes = {"params": form.params()}
        else:
            form = AdjustForm(self.request.POST, run=run)
            if not form.is_valid():
                return self.invalid(run, form)
            changes = form.changes()
        new = services.adjust(actor=self.request.user, run=run, background=True, **changes)
        return self.started(run, new)


class SwapView(RunActionView):
    """Exchange the mentors of two selected pairs and re-run with both new pairs pinned."""

    def act(self, run):
        form = SwapForm(self.request.POST, run=run)
        if not form.is_valid():
            return self.invalid(run, form)
        first, second = form.cleaned_data["pairs"]
        new = services.swap(actor=self.request.user, run=run, first=first, second=second)
        return self.started(run, new)


class AcceptView(RunActionView):
    def act(self, run):
        result = services.accept(actor=self.request.user, run=run)
        if isinstance(result, Job):
            messages.info(
                self.request, _("The run is large; a background job proposes its pairings, all or none.")
            )
            return redirect("jobs:detail", pk=result.pk)
        messages.success(
            self.request,
            _("Accepted: %(n)d pairings are proposed; the mentors and apprentices confirm them.")
            % {"n": run.pairs.count()},
        )
        return redirect("matching:detail", pk=run.pk)


class DiscardView(RunActionView):
    def act(self, run):
        services.discard(actor=self.request.user, run=run)
        messages.success(self.request, _("Run #%(n)d discarded.") % {"n": run.number})
        return redirect("matching:detail", pk=run.pk)


class CompareView(RunPageMixin, View):
    """Two runs of one programme side by side: the parameters that differ, the figures and the changed pairs."""

    template_name = "matching/compare.html"

    def get(self, request, pk):
        run = self.get_run(pk)
        others = self.get_queryset().filter(programme_id=run.programme_id).exclude(pk=run.pk)
        other_id = request.GET.get("with") or run.parent_id
        other = None
        if other_id:
            if not str(other_id).isdigit():
                raise Http404
            other = get_object_or_404(others, pk=other_id)
        context = compare_context(run, other) if other else {"run": run}
        context["choices"] = others.order_by("-number")[:50]
        return render(request, self.template_name, context)
