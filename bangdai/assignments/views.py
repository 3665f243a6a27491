"""Assignment (布置作业) pages: the list, setting one, its page with the answers and the review, its files."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from bangdai.core.forms import add_service_errors
from bangdai.core.views import (
    OfficeRegionMixin,
    ScopedListView,
    ScopedMixin,
    ServiceFormView,
    stored_file_response,
)
from bangdai.pairings.models import Pairing, PairingMentor
from bangdai.pairings.selectors import with_members
from bangdai.pairings.tables import mentor_names

from . import selectors, services
from .choices import AssignmentStatus, Flag
from .filtersets import AssignmentFilterSet
from .forms import IssueForm, ReviewForm, SubmitForm, WithdrawForm
from .models import Assignment, Submission, SubmissionFile
from .tables import AssignmentTable


class AssignmentListView(OfficeRegionMixin, ScopedListView):
    model = Assignment
    table_class = AssignmentTable
    filterset_class = AssignmentFilterSet
    export_name = "assignments"
    export_columns = [
        (_("Title"), lambda a: a.title),
        (_("Apprentice"), lambda a: a.pairing.apprentice.person.name),
        (_("Mentors"), lambda a: mentor_names(a.pairing)),
        (_("Region code"), lambda a: a.pairing.region.code),
        (_("Content area"), lambda a: a.get_content_area_display()),
        (_("Issued"), lambda a: timezone.localtime(a.issued_at).date()),
        (_("Due"), lambda a: a.due_on),
        (_("Status"), lambda a: a.get_status_display()),
        (
            _("First submitted"),
            lambda a: a.first_submitted_at and timezone.localtime(a.first_submitted_at).date(),
        ),
        (_("Reviewed"), lambda a: a.reviewed_at and timezone.localtime(a.reviewed_at).date()),
        (_("Score"), lambda a: a.score),
    ]

    def base_queryset(self):
        members = PairingMentor.objects.select_related("mentor__person")
        return (
            Assignment.objects.select_related("pairing__apprentice__person", "pairing__region")
            .prefetch_related(Prefetch("pairing__members", queryset=members))
            .order_by("-due_on", "-pk")
        )

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            page_title=_("Assignments"),
            can_add=selectors.mentor_pairings(user).exists(),
            add_url=reverse("assignments:create"),
            **kwargs,
        )


class IssueView(ServiceFormView):
    """The mentor sets one of their apprentices an assignment."""

    model = Assignment
    form_class = IssueForm
    initial_params = ("pairing",)
    page_title = _("Set an assignment")
    pretitle = _("Assignments")
    submit_label = _("Set the assignment")
    success_message = _("Assignment set; your apprentice sees it in their list.")
    cancel_url_name = "assignments:list"
    success_url_name = "assignments:detail"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not selectors.mentor_pairings(request.user).exists():
            raise PermissionDenied
        return super(ServiceFormView, self).dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = 1
        return context

    def perform(self, form):
        data = form.cleaned_data
        return services.issue(
            actor=self.request.user,
            pairing=data["pairing"],
            title=data["title"],
            brief=data["brief"],
            content_area=data["content_area"],
            due_on=data["due_on"],
        )


ACTION_FORMS = {"submit": SubmitForm, "review": ReviewForm, "withdraw": WithdrawForm}
SUCCESS = {
    "submit": _("Submitted; your mentor will review it."),
    "review": _("Review saved; the apprentice sees your feedback and score."),
    "withdraw": _("Assignment withdrawn."),
}


class AssignmentPageMixin(ScopedMixin):
    model = Assignment
    template_name = "assignments/detail.html"

    def get_assignment(self, pk) -> Assignment:
        assignment = get_object_or_404(self.get_queryset().select_related("issued_by", "reviewed_by"), pk=pk)
        assignment.pairing = with_members(
            Pairing.objects.select_related("apprentice__person", "region", "programme")
        ).get(pk=assignment.pairing_id)
        return assignment

    def page_context(self, assignment, **overrides) -> dict:
        user = self.request.user
        steps = selectors.available_steps(user, assignment)
        submissions = list(
            Submission.objects.filter(assignment=assignment)
            .select_related("submitted_by")
            .prefetch_related("files")
            .order_by("-number")
        )
        forms = {
            "submit": SubmitForm(prefix="submit") if "submit" in steps else None,
            "review": ReviewForm(prefix="review", initial={"submission": assignment.submission_count})
            if "review" in steps
            else None,
            "withdraw": WithdrawForm(prefix="withdraw") if "withdraw" in steps else None,
        }
        forms.update(overrides.pop("forms", {}))
        today = timezone.localdate()
        return {
            "assignment": assignment,
            "pairing": assignment.pairing,
            "current": submissions[0] if submissions else None,
            "earlier": submissions[1:],
            "events": assignment.events.select_related("actor").order_by("at", "id"),
            "steps": steps,
            "forms": forms,
            "flags": [(f, Flag(f).label) for f in selectors.flags(assignment, today)],
            "late": selectors.is_late(assignment),
            "review_due": selectors.review_due_on(assignment)
            if assignment.status == AssignmentStatus.SUBMITTED
            else None,
            "party": "mentor" if services.is_mentor(user, assignment.pairing) else "",
            **overrides,
        }

    def render_page(self, assignment, **overrides):
        return render(self.request, self.template_name, self.page_context(assignment, **overrides))


class AssignmentDetailView(AssignmentPageMixin, View):
    def get(self, request, pk):
        return self.render_page(self.get_assignment(pk))


class AssignmentActionView(AssignmentPageMixin, View):
    """POST one step: the role check first (403), then the form, then the service's own guards."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        if action not in ACTION_FORMS:
            raise Http404
        assignment = self.get_assignment(pk)
        if not selectors.may(request.user, assignment, action):
            raise PermissionDenied
        form = ACTION_FORMS[action](request.POST, request.FILES, prefix=action)
        if not form.is_valid():
            return self.render_page(assignment, forms={action: form}, failed_action=action)
        data, actor = form.cleaned_data, request.user
        try:
            if action == "submit":
                services.submit(actor=actor, assignment=assignment, text=data["text"], files=data["files"])
            elif action == "review":
                services.review(
                    actor=actor,
                    assignment=assignment,
                    feedback=data["feedback"],
                    score=data["score"],
                    submission=data["submission"],
                )
            else:
                services.withdraw(actor=actor, assignment=assignment, reason=data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_page(self.get_assignment(pk), forms={action: form}, failed_action=action)
        messages.success(request, SUCCESS[action])
        return redirect("assignments:detail", pk=assignment.pk)


class SubmissionFileView(ScopedMixin, View):
    """One submitted file, to those who may see the assignment: photos shown in the page, PDFs downloaded."""

    model = Assignment

    def get(self, request, pk, file_pk):
        assignment = get_object_or_404(self.get_queryset(), pk=pk)
        stored = get_object_or_404(SubmissionFile, pk=file_pk, submission__assignment=assignment)
        return stored_file_response(
            stored.file,
            content_type=stored.content_type,
            filename=stored.name,
            attachment=stored.kind != "image",
        )
