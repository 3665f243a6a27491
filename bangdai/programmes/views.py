"""Programme pages: list, create (organisation departments), summary and the versioned rules."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView

from bangdai.accounts.choices import EDITING_ROLES, Role
from bangdai.core.forms import add_service_errors
from bangdai.core.views import ScopedDetailView, ScopedListView, ScopedMixin

from . import selectors, services
from .filtersets import ProgrammeFilterSet
from .forms import ProgrammeForm, RulesForm, rule_labels
from .models import Programme
from .tables import ProgrammeTable


class ProgrammeListView(ScopedListView):
    model = Programme
    table_class = ProgrammeTable
    filterset_class = ProgrammeFilterSet
    export_name = "programmes"
    export_columns = [
        (_("Programme name"), lambda p: p.name),
        (_("Year"), lambda p: p.year),
        (_("Region code"), lambda p: p.region.code),
        (_("Organising region"), lambda p: p.region.name),
        (_("Status"), lambda p: p.get_status_display()),
        (_("Created"), lambda p: p.created_at.date()),
    ]

    def base_queryset(self):
        return Programme.objects.select_related("region")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Programmes"),
            can_add=self.request.user.scope.has_role(Role.ORG_ADMIN),
            add_url=reverse_lazy("programmes:create"),
            **kwargs,
        )


class ProgrammeCreateView(ScopedMixin, FormView):
    model = Programme
    form_class = ProgrammeForm
    template_name = "programmes/form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.scope.has_role(Role.ORG_ADMIN):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        from django.utils import timezone

        initial = {"year": timezone.localdate().year}
        region = self.request.region
        if region is not None and self.request.user.scope.administers(region.path):
            initial["region"] = region.code
        return initial

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            programme = services.create_programme(
                actor=self.request.user,
                name=data["name"],
                region=data["region"],
                year=data["year"],
                description=data["description"],
                rules=form.rules_data(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Programme created."))
        return redirect("programmes:detail", pk=programme.pk)


class ProgrammeDetailView(ScopedDetailView):
    model = Programme
    template_name = "programmes/detail.html"

    def base_queryset(self):
        return Programme.objects.select_related("region", "created_by")

    def get_context_data(self, **kwargs):
        programme = self.object
        return super().get_context_data(
            summary=selectors.programme_summary(programme, self.request.user, self.request.region),
            policy=programme.policy,
            rules=programme.current_rules(),
            can_manage=services.can_manage(self.request.user, programme),
            can_match=self.request.user.scope.has_role(*EDITING_ROLES),
            **kwargs,
        )


class ProgrammeRulesView(ScopedMixin, FormView):
    """The current rules as a form (for the organisers) and every earlier version with who wrote it."""

    model = Programme
    form_class = RulesForm
    template_name = "programmes/rules.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.object = get_object_or_404(self.get_queryset().select_related("region"), pk=kwargs["pk"])
        self.can_manage = services.can_manage(request.user, self.object)
        if request.method == "POST" and not self.can_manage:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "policy": self.object.policy}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            object=self.object,
            can_manage=self.can_manage,
            history=selectors.rules_history(self.object),
            labels=rule_labels(),
            **kwargs,
        )

    def form_valid(self, form):
        before = self.object.current_rules()
        try:
            rules = services.change_rules(
                actor=self.request.user,
                programme=self.object,
                data=form.rules_data(),
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        if before is not None and rules.pk == before.pk:
            messages.info(
                self.request, _("Nothing changed; the rules stay at version %(v)d.") % {"v": rules.version}
            )
        else:
            messages.success(self.request, _("Rules saved as version %(v)d.") % {"v": rules.version})
        return redirect("programmes:rules", pk=self.object.pk)
