"""Apprentice registry pages: list and exports, registration, the apprentice's page with pairings, edit."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView

from bangdai.accounts.choices import EDITING_ROLES
from bangdai.core.choices import ContentArea, labels
from bangdai.core.forms import add_service_errors
from bangdai.core.views import (
    CurrentRegionFilterMixin,
    ScopedDetailView,
    ScopedListView,
    ScopedMixin,
    ServiceFormView,
)
from bangdai.pairings.forms import ConflictForm

from . import selectors, services
from .choices import ApprenticeCategory, ApprenticeStatus
from .filtersets import ApprenticeFilterSet
from .forms import ApprenticeForm, RegisterForm
from .models import Apprentice
from .tables import ApprenticeTable


class ApprenticeListView(CurrentRegionFilterMixin, ScopedListView):
    model = Apprentice
    table_class = ApprenticeTable
    filterset_class = ApprenticeFilterSet
    export_name = "apprentices"
    export_columns = [
        (_("Name"), lambda a: a.person.name),
        (_("Gender"), lambda a: a.person.get_gender_display()),
        (_("ID number"), lambda a: a.person.id_number_masked),
        (_("Mobile phone"), lambda a: a.person.phone_masked),
        (_("Programme"), lambda a: a.programme.name),
        (_("Region code"), lambda a: a.region.code),
        (_("Workplace"), lambda a: a.region.name),
        (_("Categories"), lambda a: labels(ApprenticeCategory, a.categories)),
        (_("三门干部"), lambda a: a.three_gates),
        (_("Needs (content areas)"), lambda a: labels(ContentArea, a.needs)),
        (_("Status"), lambda a: a.get_status_display()),
    ]

    def base_queryset(self):
        return Apprentice.objects.select_related("person", "programme", "region")

    def get_context_data(self, **kwargs):
        can_add = self.request.user.scope.has_role(*EDITING_ROLES)
        return super().get_context_data(
            page_title=_("Apprentices"), can_add=can_add, add_url=reverse_lazy("apprentices:create"), **kwargs
        )


class ApprenticeCreateView(ServiceFormView):
    model = Apprentice
    form_class = RegisterForm
    required_roles = EDITING_ROLES
    initial_params = ("programme", "person")
    page_title = _("Register an apprentice")
    pretitle = _("Apprentices")
    cancel_url_name = "apprentices:list"
    submit_label = _("Register")
    success_message = _("Registered. The apprentice now awaits a mentor.")
    success_url_name = "apprentices:detail"

    def perform(self, form):
        return services.register(actor=self.request.user, **form.service_data())


class ApprenticeDetailView(ScopedDetailView):
    model = Apprentice
    template_name = "apprentices/detail.html"

    def base_queryset(self):
        return Apprentice.objects.select_related("person", "programme", "region")

    def get_context_data(self, **kwargs):
        apprentice = self.object
        user = self.request.user
        can_edit = selectors.can_edit(user, apprentice)
        return super().get_context_data(
            lineage=apprentice.region.lineage(),
            pairings=selectors.pairing_history(apprentice),
            categories=labels(ApprenticeCategory, apprentice.categories),
            needs=labels(ContentArea, apprentice.needs),
            can_edit=can_edit,
            can_propose=can_edit and apprentice.status == ApprenticeStatus.ELIGIBLE,
            conflict_form=ConflictForm(user=user, apprentice=apprentice) if can_edit else None,
            **kwargs,
        )


class ApprenticeUpdateView(ScopedMixin, FormView):
    model = Apprentice
    form_class = ApprenticeForm
    template_name = "components/form_page.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.object = get_object_or_404(
            self.get_queryset().select_related("person", "programme", "region"), pk=kwargs["pk"]
        )
        if not selectors.can_edit(request.user, self.object):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "apprentice": self.object}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Edit %(name)s's apprentice record") % {"name": self.object.person.name},
            pretitle=self.object.programme.name,
            cancel_url=reverse("apprentices:detail", args=[self.object.pk]),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            services.update(actor=self.request.user, apprentice=self.object, **form.record_data())
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("apprentices:detail", pk=self.object.pk)
