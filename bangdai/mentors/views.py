"""Mentor pool pages: list and exports, nomination (by organisations and by the cadre), the mentor's page with
its timeline, workflow steps and publicity objections, and the profile edit."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView

from bangdai.accounts.choices import EDITING_ROLES
from bangdai.core.choices import ContentArea, labels
from bangdai.core.forms import add_service_errors
from bangdai.core.views import CurrentRegionFilterMixin, ScopedListView, ScopedMixin, ServiceFormView

from . import selectors, services
from .choices import MentorStatus, MentorTitle
from .filtersets import MentorFilterSet
from .forms import (
    MentorProfileForm,
    NominateForm,
    ObjectionForm,
    ReasonForm,
    ResolveObjectionForm,
    SelfNominateForm,
)
from .models import Mentor
from .tables import MentorTable


class MentorListView(CurrentRegionFilterMixin, ScopedListView):
    model = Mentor
    table_class = MentorTable
    filterset_class = MentorFilterSet
    export_name = "mentors"
    export_columns = [
        (_("Name"), lambda m: m.person.name),
        (_("Gender"), lambda m: m.person.get_gender_display()),
        (_("ID number"), lambda m: m.person.id_number_masked),
        (_("Mobile phone"), lambda m: m.person.phone_masked),
        (_("Programme"), lambda m: m.programme.name),
        (_("Tier"), lambda m: m.get_tier_display()),
        (_("Titles"), lambda m: labels(MentorTitle, m.titles)),
        (_("千名好支书 batch"), lambda m: m.qianming_batch),
        (_("Expertise (content areas)"), lambda m: labels(ContentArea, m.expertise)),
        (_("Specialties"), lambda m: "、".join(m.specialties)),
        (_("Region code"), lambda m: m.region.code),
        (_("Home region"), lambda m: m.region.name),
        (_("Capacity"), lambda m: m.capacity),
        (_("Places taken"), lambda m: m.load),
        (_("Status"), lambda m: m.get_status_display()),
        (_("Nominated via"), lambda m: m.get_nominated_via_display()),
        (_("Appointed on"), lambda m: m.appointed_at),
        (_("Term ends"), lambda m: m.term_end),
        (_("Certificate number"), lambda m: m.certificate_no),
    ]

    def base_queryset(self):
        return Mentor.objects.select_related("person", "programme", "region")

    def get_context_data(self, **kwargs):
        scope = self.request.user.scope
        context = {"page_title": _("Mentor pool")}
        if scope.has_role(*EDITING_ROLES):
            context.update(can_add=True, add_url=reverse_lazy("mentors:nominate"))
        elif self.request.user.person_id:
            context.update(can_add=True, add_url=reverse_lazy("mentors:self_nominate"))
        return super().get_context_data(**context, **kwargs)


class NominateView(ServiceFormView):
    model = Mentor
    form_class = NominateForm
    required_roles = EDITING_ROLES
    initial_params = ("programme", "person")
    page_title = _("Nominate a mentor")
    pretitle = _("Mentor pool")
    cancel_url_name = "mentors:list"
    submit_label = _("Nominate")
    success_message = _("Nominated. The next step is the unit's recommendation.")
    success_url_name = "mentors:detail"

    def perform(self, form):
        return services.nominate(actor=self.request.user, **form.service_data())


class SelfNominateView(ScopedMixin, FormView):
    model = Mentor
    form_class = SelfNominateForm
    template_name = "components/form_page.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.person_id:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Apply to be a mentor"),
            pretitle=_("Self-nomination (个人自荐)"),
            intro=_("Your application goes to your unit and the organisation department for vetting."),
            cancel_url=reverse("pairings:workspace"),
            submit_label=_("Apply"),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            mentor = services.nominate(
                actor=self.request.user,
                person=self.request.user.person,
                self_nomination=True,
                **form.service_data(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Your application has been submitted."))
        return redirect("mentors:detail", pk=mentor.pk)


class MentorPageMixin(ScopedMixin):
    """Loads the mentor through the scoped queryset and renders its page, with any bound form that failed."""

    model = Mentor
    template_name = "mentors/detail.html"

    def base_queryset(self):
        return Mentor.objects.select_related("person", "programme__region", "region")

    def get_mentor(self, pk) -> Mentor:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def page_context(self, mentor: Mentor, **overrides) -> dict:
        user = self.request.user
        actions = services.allowed_actions(user, mentor)
        can_objections = (
            selectors.can_handle_objections(user, mentor) and mentor.status == MentorStatus.PUBLICITY
        )
        context = {
            "object": mentor,
            "mentor": mentor,
            "lineage": mentor.region.lineage(),
            "events": selectors.timeline(mentor),
            "objections": mentor.objections.select_related("recorded_by"),
            "actions": actions,
            "reason_form": ReasonForm(),
            "failed_action": None,
            "can_edit": selectors.can_edit(user, mentor),
            "can_objections": can_objections,
            "objection_form": ObjectionForm() if can_objections else None,
            "resolve_form": ResolveObjectionForm(),
            "failed_objection": None,
            "expertise": labels(ContentArea, mentor.expertise),
            "titles": labels(MentorTitle, mentor.titles),
        }
        context.update(overrides)
        return context

    def render_page(self, mentor, status=200, **overrides):
        return render(self.request, self.template_name, self.page_context(mentor, **overrides), status=status)


class MentorDetailView(MentorPageMixin, View):
    def get(self, request, pk):
        return self.render_page(self.get_mentor(pk))


class MentorTransitionView(MentorPageMixin, View):
    """POST one workflow step; the service decides whether this user may take it now."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        mentor = self.get_mentor(pk)
        if action not in services.TRANSITIONS:
            raise Http404
        form = ReasonForm(request.POST)
        form.is_valid()
        try:
            services.transition(
                actor=request.user, mentor=mentor, action=action, reason=form.cleaned_data.get("reason", "")
            )
        except ValidationError as error:
            add_service_errors(form, error)
            mentor.refresh_from_db()
            return self.render_page(mentor, reason_form=form, failed_action=action)
        messages.success(request, _("Done: %(step)s.") % {"step": services.TRANSITIONS[action].label})
        return redirect("mentors:detail", pk=mentor.pk)


class ObjectionCreateView(MentorPageMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        mentor = self.get_mentor(pk)
        if not selectors.can_handle_objections(request.user, mentor):
            raise PermissionDenied
        form = ObjectionForm(request.POST)
        if form.is_valid():
            try:
                services.record_objection(actor=request.user, mentor=mentor, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Objection recorded."))
                return redirect("mentors:detail", pk=mentor.pk)
        return self.render_page(mentor, objection_form=form)


class ObjectionResolveView(MentorPageMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk, objection_pk):
        mentor = self.get_mentor(pk)
        objection = get_object_or_404(mentor.objections, pk=objection_pk)
        if not selectors.can_handle_objections(request.user, mentor):
            raise PermissionDenied
        form = ResolveObjectionForm(request.POST)
        if form.is_valid():
            try:
                services.resolve_objection(actor=request.user, objection=objection, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Objection resolved."))
                return redirect("mentors:detail", pk=mentor.pk)
        return self.render_page(mentor, resolve_form=form, failed_objection=objection.pk)


class MentorUpdateView(MentorPageMixin, FormView):
    form_class = MentorProfileForm
    template_name = "components/form_page.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.object = self.get_mentor(kwargs["pk"])
        if not selectors.can_edit(request.user, self.object):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "mentor": self.object}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Edit %(name)s's mentor profile") % {"name": self.object.person.name},
            pretitle=self.object.programme.name,
            cancel_url=reverse("mentors:detail", args=[self.object.pk]),
            columns=2,
            **kwargs,
        )

    def form_valid(self, form):
        try:
            services.update_profile(actor=self.request.user, mentor=self.object, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("mentors:detail", pk=self.object.pk)
