"""Mentoring plan (帮带计划) pages: the list, a pairing's plan, the goals editor, the steps and the revisions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from bangdai.core.forms import add_service_errors
from bangdai.core.views import OfficeRegionMixin, ScopedListView, ScopedMixin
from bangdai.pairings.choices import RUNNING_STATES
from bangdai.pairings.models import Pairing
from bangdai.pairings.selectors import with_members
from bangdai.pairings.tables import mentor_names

from . import selectors, services
from .choices import PlanStatus
from .filtersets import PlanFilterSet
from .forms import CommentForm, GoalMetForm, PlanForm, ReturnForm, goal_formset
from .models import MentoringPlan, PlanGoal, PlanRevision
from .tables import PlanTable


class PlanListView(OfficeRegionMixin, ScopedListView):
    """Running pairings and their plans: who has none yet, which wait for a decision, how far each has come."""

    model = Pairing
    table_class = PlanTable
    filterset_class = PlanFilterSet
    export_name = "plans"
    export_columns = [
        (_("Apprentice"), lambda p: p.apprentice.person.name),
        (_("Mentors"), mentor_names),
        (_("Region code"), lambda p: p.region.code),
        (_("Region"), lambda p: p.region.name),
        (_("Start date"), lambda p: p.start_date),
        (_("Plan"), lambda p: p.plan.get_status_display() if getattr(p, "plan", None) else ""),
        (_("Revision"), lambda p: p.plan.revision if getattr(p, "plan", None) else ""),
        (_("Goals met"), lambda p: p.goals_met),
        (_("Goals"), lambda p: p.goals_total),
    ]

    def base_queryset(self):
        pairings = (
            Pairing.objects.filter(Q(status__in=RUNNING_STATES) | Q(plan__isnull=False))
            .select_related("apprentice__person", "region", "programme", "plan")
            .order_by("start_date", "pk")
        )
        return with_members(selectors.with_goal_counts(pairings))

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=_("Mentoring plans"), **kwargs)


# ---------------------------------------------------------------------------------------------- one plan


def _pairing_queryset():
    return with_members(Pairing.objects.select_related("apprentice__person", "region", "programme"))


class PlanPageMixin(ScopedMixin):
    model = MentoringPlan
    template_name = "plans/detail.html"

    def get_plan(self, pk) -> MentoringPlan:
        plans = self.get_queryset().select_related("approved_by", "drafted_by")
        plan = get_object_or_404(plans, pk=pk)
        plan.pairing = _pairing_queryset().get(pk=plan.pairing_id)
        return plan

    def page_context(self, plan, **overrides) -> dict:
        user = self.request.user
        steps = selectors.available_steps(user, plan)
        forms = {
            "submit": CommentForm(prefix="submit") if "submit" in steps else None,
            "approve": CommentForm(prefix="approve") if "approve" in steps else None,
            "return": ReturnForm(prefix="return") if "return" in steps else None,
        }
        forms.update(overrides.pop("forms", {}))
        goals = list(selectors.goals_of(plan))
        met = sum(1 for g in goals if g.achieved_on)
        return {
            "plan": plan,
            "pairing": plan.pairing,
            "goals": goals,
            "met": met,
            "revisions": plan.revisions.select_related("submitted_by", "decided_by").order_by("-number"),
            "events": plan.events.select_related("actor").order_by("at", "id"),
            "steps": steps,
            "forms": forms,
            "goal_form": GoalMetForm(prefix="goal") if "goal" in steps else None,
            "due": selectors.plan_due_on(plan.pairing),
            **overrides,
        }

    def render_page(self, plan, **overrides):
        return render(self.request, self.template_name, self.page_context(plan, **overrides))


class PlanDetailView(PlanPageMixin, View):
    def get(self, request, pk):
        return self.render_page(self.get_plan(pk))


class GoalsEditorMixin:
    """The goals editor shared by the new plan and the edit page: blank rows are added by posting “more”."""

    template_name = "plans/edit.html"

    def editor(self, data=None, goals=(), initial=None):
        blank = 1 if data is None or "more" in data else 0
        if data is None and not goals:
            blank = 3
        return PlanForm(data, initial=initial), goal_formset(data, goals, blank_rows=blank)

    def render_editor(self, pairing, form, formset, plan=None):
        return render(
            self.request,
            self.template_name,
            {
                "pairing": pairing,
                "plan": plan,
                "form": form,
                "formset": formset,
                "due": selectors.plan_due_on(pairing),
                "revising": plan is not None and plan.status == PlanStatus.APPROVED,
            },
        )

    def saved(self, form, formset) -> bool:
        """Both forms valid and the mentor did not only ask for another row."""
        return "more" not in self.request.POST and form.is_valid() and formset.is_valid()


class PairingPlanView(GoalsEditorMixin, ScopedMixin, View):
    """A pairing's plan: opens the plan if there is one; otherwise the mentor starts it, others see the deadline."""

    model = Pairing

    def get_pairing(self, pk) -> Pairing:
        return get_object_or_404(_pairing_queryset().visible_to(self.request.user), pk=pk)

    def get(self, request, pairing_pk):
        pairing = self.get_pairing(pairing_pk)
        plan = MentoringPlan.objects.filter(pairing=pairing).first()
        if plan is not None:
            return redirect("plans:detail", pk=plan.pk)
        if services.is_mentor(request.user, pairing) and pairing.status in RUNNING_STATES:
            form, formset = self.editor()
            return self.render_editor(pairing, form, formset)
        due = selectors.plan_due_on(pairing)
        return render(
            request,
            "plans/none.html",
            {
                "pairing": pairing,
                "due": due,
                "overdue": bool(due and due < timezone.localdate() and pairing.status in RUNNING_STATES),
            },
        )

    def post(self, request, pairing_pk):
        pairing = self.get_pairing(pairing_pk)
        if not services.is_mentor(request.user, pairing):
            raise PermissionDenied
        form, formset = self.editor(request.POST)
        if not self.saved(form, formset):
            return self.render_editor(pairing, form, formset)
        data = form.cleaned_data
        try:
            with transaction.atomic():
                plan = services.create(
                    actor=request.user, pairing=pairing, summary=data["summary"], goals=formset.goals()
                )
                if "submit" in request.POST:
                    services.submit(actor=request.user, plan=plan, comment=data["comment"])
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_editor(pairing, form, formset)
        messages.success(
            request, _("Plan submitted for approval.") if "submit" in request.POST else _("Draft saved.")
        )
        return redirect("plans:detail", pk=plan.pk)


class PlanEditView(GoalsEditorMixin, PlanPageMixin, View):
    """The mentor edits a draft or a returned plan, or revises an approved one (which submits it again)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.plan = self.get_plan(kwargs["pk"])
        if not selectors.may(request.user, self.plan, "edit"):
            raise PermissionDenied
        steps = selectors.available_steps(request.user, self.plan)
        if not steps & {"edit", "revise"}:
            messages.error(request, services.why_not_editable(self.plan))
            return redirect("plans:detail", pk=self.plan.pk)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        plan = self.plan
        form, formset = self.editor(goals=list(selectors.goals_of(plan)), initial={"summary": plan.summary})
        return self.render_editor(plan.pairing, form, formset, plan)

    def post(self, request, pk):
        plan = self.plan
        form, formset = self.editor(request.POST)
        if not self.saved(form, formset):
            return self.render_editor(plan.pairing, form, formset, plan)
        data, actor = form.cleaned_data, request.user
        submitting = "submit" in request.POST or plan.status == PlanStatus.APPROVED
        try:
            with transaction.atomic():
                if plan.status == PlanStatus.APPROVED:
                    services.revise(
                        actor=actor,
                        plan=plan,
                        summary=data["summary"],
                        goals=formset.goals(),
                        comment=data["comment"],
                    )
                else:
                    services.save_draft(
                        actor=actor, plan=plan, summary=data["summary"], goals=formset.goals()
                    )
                    if submitting:
                        services.submit(actor=actor, plan=plan, comment=data["comment"])
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_editor(plan.pairing, form, formset, self.get_plan(pk))
        messages.success(request, _("Plan submitted for approval.") if submitting else _("Draft saved."))
        return redirect("plans:detail", pk=plan.pk)


STEP_FORMS = {"submit": CommentForm, "approve": CommentForm, "return": ReturnForm}
SUCCESS = {
    "submit": _("Plan submitted for approval."),
    "approve": _("Plan approved."),
    "return": _("Plan returned to the mentor with your comments."),
}


class PlanActionView(PlanPageMixin, View):
    """POST one step: the role check first (403), then the form, then the service's own guards."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        if action not in STEP_FORMS:
            raise Http404
        plan = self.get_plan(pk)
        if not selectors.may(request.user, plan, action):
            raise PermissionDenied
        form = STEP_FORMS[action](request.POST, prefix=action)
        if not form.is_valid():
            return self.render_page(plan, forms={action: form}, failed_action=action)
        comment = form.cleaned_data["comment"]
        try:
            if action == "submit":
                services.submit(actor=request.user, plan=plan, comment=comment)
            elif action == "approve":
                services.approve(actor=request.user, plan=plan, comment=comment)
            else:
                services.return_plan(actor=request.user, plan=plan, comment=comment)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_page(self.get_plan(pk), forms={action: form}, failed_action=action)
        messages.success(request, SUCCESS[action])
        return redirect("plans:detail", pk=plan.pk)


class GoalMetView(PlanPageMixin, View):
    """POST: the mentor marks a goal as met (``met``) or reopens it (``reopen``)."""

    http_method_names = ["post"]

    def post(self, request, pk, goal_pk, action):
        if action not in ("met", "reopen"):
            raise Http404
        plan = self.get_plan(pk)
        goal = get_object_or_404(PlanGoal, pk=goal_pk, plan=plan)
        if not selectors.may(request.user, plan, "goal"):
            raise PermissionDenied
        goal.plan = plan
        form = GoalMetForm(request.POST, prefix="goal") if action == "met" else None
        if form is not None and not form.is_valid():
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
            return redirect("plans:detail", pk=plan.pk)
        data = form.cleaned_data if form is not None else {}
        try:
            services.set_goal_met(
                actor=request.user,
                goal=goal,
                met=action == "met",
                on=data.get("on"),
                note=data.get("note", ""),
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Goal marked as met.") if action == "met" else _("Goal reopened."))
        return redirect(reverse("plans:detail", args=[plan.pk]) + f"#goal-{goal.pk}")


class RevisionView(PlanPageMixin, View):
    """One submitted revision as it was, with the decision on it."""

    def get(self, request, pk, number):
        plan = self.get_plan(pk)
        revision = get_object_or_404(
            PlanRevision.objects.select_related("submitted_by", "decided_by"), plan=plan, number=number
        )
        return render(
            request,
            "plans/revision.html",
            {
                "plan": plan,
                "pairing": plan.pairing,
                "revision": revision,
                "goals": selectors.revision_goals(revision),
            },
        )
