"""Pairing pages: list and exports, the proposal, the pairing's page with its steps, and the workspaces."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView

from bangdai.accounts.choices import EDITING_ROLES
from bangdai.apprentices.models import Apprentice
from bangdai.core.forms import add_service_errors
from bangdai.core.views import CurrentRegionFilterMixin, ScopedListView, ScopedMixin
from bangdai.mentors.selectors import self_nomination_programmes
from bangdai.programmes.models import Programme

from . import selectors, services
from .filtersets import PairingFilterSet
from .forms import (
    CompleteForm,
    ConflictForm,
    ExtendForm,
    ProposeForm,
    ReasonForm,
    RepairForm,
    SignPledgeForm,
)
from .models import Pairing
from .tables import PairingTable, mentor_names


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


class PairingListView(CurrentRegionFilterMixin, ScopedListView):
    model = Pairing
    table_class = PairingTable
    filterset_class = PairingFilterSet
    export_name = "pairings"
    export_columns = [
        (_("Apprentice"), lambda p: p.apprentice.person.name),
        (_("Mentors"), mentor_names),
        (_("Programme"), lambda p: p.programme.name),
        (_("Region code"), lambda p: p.region.code),
        (_("Region"), lambda p: p.region.name),
        (_("Mode"), lambda p: p.get_mode_display()),
        (_("Status"), lambda p: p.get_status_display()),
        (_("Term (months)"), lambda p: p.term_months),
        (_("拜师帖 signed on"), lambda p: p.pledge_signed_on),
        (_("Start date"), lambda p: p.start_date),
        (_("Planned end"), lambda p: p.planned_end_date),
        (_("Ended on"), lambda p: p.ended_on),
    ]

    def base_queryset(self):
        return selectors.with_members(
            Pairing.objects.select_related("apprentice__person", "programme", "region").order_by(
                "-created_at", "-pk"
            )
        )

    def get_context_data(self, **kwargs):
        can_add = self.request.user.scope.has_role(*EDITING_ROLES)
        return super().get_context_data(
            page_title=_("Pairings"), can_add=can_add, add_url=reverse("pairings:propose"), **kwargs
        )


class ProposeView(ScopedMixin, FormView):
    """Choose a programme (if none is given), then an apprentice awaiting a mentor and mentors with free places."""

    model = Pairing
    form_class = ProposeForm
    template_name = "pairings/propose.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.scope.has_role(*EDITING_ROLES):
            raise PermissionDenied
        self.programme = self.get_programme()
        return super().dispatch(request, *args, **kwargs)

    def get_programme(self):
        visible = Programme.objects.visible_to(self.request.user)
        programme_id = self.request.GET.get("programme")
        apprentice_id = self.request.GET.get("apprentice")
        if programme_id:
            if not programme_id.isdigit():
                raise Http404
            return get_object_or_404(visible, pk=programme_id)
        if apprentice_id and apprentice_id.isdigit():
            apprentice = get_object_or_404(Apprentice.objects.visible_to(self.request.user), pk=apprentice_id)
            return get_object_or_404(visible, pk=apprentice.programme_id)
        return None

    def get(self, request, *args, **kwargs):
        if self.programme is None:
            return render(
                request,
                self.template_name,
                {"programmes": Programme.objects.visible_to(request.user).select_related("region")},
            )
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.programme is None:
            raise Http404
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "programme": self.programme}

    def get_initial(self):
        return {"apprentice": self.request.GET.get("apprentice")}

    def get_context_data(self, **kwargs):
        return super().get_context_data(programme=self.programme, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            pairing = services.propose(
                actor=self.request.user,
                apprentice=data["apprentice"],
                mentors=data["mentors"],
                note=data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Proposed. The mentor and the apprentice confirm in their workspaces.")
        )
        return redirect("pairings:detail", pk=pairing.pk)


ACTION_FORMS = {
    "decline": ReasonForm,
    "sign": SignPledgeForm,
    "extend": ExtendForm,
    "complete": CompleteForm,
    "terminate": ReasonForm,
    "repair": RepairForm,
}


def _run(action, actor, pairing, data):
    if action == "confirm":
        return services.confirm(actor=actor, pairing=pairing)
    if action == "decline":
        return services.decline(actor=actor, pairing=pairing, reason=data["reason"])
    if action == "sign":
        return services.sign_pledge(
            actor=actor,
            pairing=pairing,
            signed_on=data["signed_on"],
            ceremony_place=data["ceremony_place"],
            witnesses=data["witnesses"],
            text=data["text"],
        )
    if action == "extend":
        return services.extend(actor=actor, pairing=pairing, months=data["months"], reason=data["reason"])
    if action == "complete":
        return services.complete(actor=actor, pairing=pairing, note=data["note"])
    if action == "terminate":
        return services.terminate(actor=actor, pairing=pairing, reason=data["reason"])
    if action == "repair":
        return services.repair(actor=actor, pairing=pairing, mentors=data["mentors"], reason=data["reason"])
    raise Http404


SUCCESS = {
    "confirm": _("You have confirmed the pairing."),
    "decline": _("The proposal has been declined."),
    "sign": _("拜师帖 recorded; the pairing is active."),
    "extend": _("The pairing has been extended."),
    "complete": _("The apprentice has graduated."),
    "terminate": _("The pairing has been ended."),
    "repair": _("Re-paired: the new proposal awaits confirmation."),
}


class PairingPageMixin(ScopedMixin):
    model = Pairing
    template_name = "pairings/detail.html"

    def base_queryset(self):
        return Pairing.objects.select_related(
            "apprentice__person", "apprentice__region", "programme", "region", "proposed_by", "replaces"
        )

    def get_pairing(self, pk) -> Pairing:
        return get_object_or_404(selectors.with_members(self.get_queryset()), pk=pk)

    def make_form(self, action, pairing, data=None):
        form_class = ACTION_FORMS.get(action)
        if form_class is None:
            return None
        kwargs = {"user": self.request.user, "pairing": pairing} if form_class is RepairForm else {}
        return form_class(data, prefix=action, **kwargs)

    def page_context(self, pairing, **overrides) -> dict:
        user = self.request.user
        actions = selectors.available_actions(user, pairing)
        forms = {a: self.make_form(a, pairing) for a in actions if a in ACTION_FORMS}
        forms.update(overrides.pop("forms", {}))
        can_conflict = user.scope.edits(pairing.region.path)
        return {
            "object": pairing,
            "pairing": pairing,
            "members": pairing.members.all(),
            "events": pairing.events.select_related("actor").order_by("at", "id"),
            "actions": actions,
            "forms": forms,
            "party": services.party_of(user, pairing),
            "replaced_by": Pairing.objects.visible_to(user).filter(replaces=pairing).first(),
            "conflict_form": ConflictForm(user=user, apprentice=pairing.apprentice) if can_conflict else None,
            **overrides,
        }

    def render_page(self, pairing, **overrides):
        return render(self.request, self.template_name, self.page_context(pairing, **overrides))


class PairingDetailView(PairingPageMixin, View):
    def get(self, request, pk):
        return self.render_page(self.get_pairing(pk))


class PairingActionView(PairingPageMixin, View):
    """POST one step. The role check comes first (403), then the form, then the service's own guards."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        if action not in selectors.ACTION_STATES:
            raise Http404
        pairing = self.get_pairing(pk)
        if not selectors.may(request.user, pairing, action):
            raise PermissionDenied
        form = self.make_form(action, pairing, request.POST)
        data = {}
        if form is not None:
            if not form.is_valid():
                return self.render_page(pairing, forms={action: form}, failed_action=action)
            data = form.cleaned_data
        try:
            result = _run(action, request.user, pairing, data)
        except ValidationError as error:
            if form is None:
                for message in error.messages:
                    messages.error(request, message)
                return redirect(_next_url(request, reverse("pairings:detail", args=[pairing.pk])))
            add_service_errors(form, error)
            return self.render_page(self.get_pairing(pk), forms={action: form}, failed_action=action)
        messages.success(request, SUCCESS[action])
        target = result if action == "repair" else pairing
        return redirect(_next_url(request, reverse("pairings:detail", args=[target.pk])))


class ConflictView(ScopedMixin, View):
    """Declare that a mentor and an apprentice may not be paired; answered from the pairing or apprentice page."""

    model = Apprentice
    http_method_names = ["post"]

    def post(self, request, apprentice_pk):
        apprentice = get_object_or_404(
            self.get_queryset().select_related("person", "region"), pk=apprentice_pk
        )
        if not request.user.scope.edits(apprentice.region.path):
            raise PermissionDenied
        default = reverse("apprentices:detail", args=[apprentice.pk])
        form = ConflictForm(request.POST, user=request.user, apprentice=apprentice)
        if not form.is_valid():
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
            return redirect(_next_url(request, default))
        try:
            services.declare_conflict(
                actor=request.user,
                mentor_person=form.cleaned_data["mentor"].person,
                apprentice_person=apprentice.person,
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Conflict of interest recorded; these two cannot be paired."))
        return redirect(_next_url(request, default))


class WorkspaceView(ScopedMixin, TemplateView):
    """我的帮带: a mentor's apprentices and proposals, an apprentice's mentors and pledge, an admin's summary."""

    model = Pairing
    template_name = "workspace/index.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        region = self.request.region
        return super().get_context_data(
            mentor_desk=selectors.mentor_desk(user),
            apprentice_desk=selectors.apprentice_desk(user),
            summaries=selectors.region_summaries(user, region),
            region=region,
            can_apply=bool(user.person_id) and self_nomination_programmes(user).exists(),
            **kwargs,
        )
