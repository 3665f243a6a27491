"""Cadre pages: list with filters and exports, detail with history, create, edit and reveal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.http import require_GET
from django.views.generic import FormView

from bangdai.core.views import CurrentRegionFilterMixin, ScopedDetailView, ScopedListView, ScopedMixin

from . import selectors, services
from .choices import ProtectedField
from .filtersets import PersonFilterSet
from .forms import PersonForm
from .models import Person
from .tables import PersonTable


class PersonListView(CurrentRegionFilterMixin, ScopedListView):
    model = Person
    table_class = PersonTable
    filterset_class = PersonFilterSet
    export_name = "cadres"
    page_title = _("Cadres")
    export_columns = [
        (_("Name"), lambda p: p.name),
        (_("Gender"), lambda p: p.get_gender_display()),
        (_("Birth date"), lambda p: p.birth_date),
        (_("ID number"), lambda p: p.id_number_masked),
        (_("Mobile phone"), lambda p: p.phone_masked),
        (_("Region code"), lambda p: p.region.code),
        (_("Employer region"), lambda p: p.region.name),
        (_("Organisation unit"), lambda p: p.org_unit),
        (_("Position"), lambda p: p.get_position_display()),
        (_("Cadre type"), lambda p: p.get_cadre_type_display()),
        (_("Political status"), lambda p: p.get_political_status_display()),
        (_("Education"), lambda p: p.get_education_display()),
        (_("Entry date"), lambda p: p.entry_date),
    ]

    def base_queryset(self):
        return Person.objects.select_related("region")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = self.page_title
        context["can_add"] = self.request.user.has_perm("people.add_person")
        return context


class PersonDetailView(ScopedDetailView):
    model = Person
    template_name = "people/detail.html"

    def base_queryset(self):
        return Person.objects.select_related("region")

    def get_context_data(self, **kwargs):
        person = self.object
        return super().get_context_data(
            lineage=person.region.lineage(),
            changes=person.changes.select_related("actor")[:50],
            reveals=person.reveals.select_related("actor")[:20],
            can_change=self.request.user.has_perm("people.change_person", person),
            can_reveal=services.can_reveal(self.request.user, person),
            **kwargs,
        )


class PersonFormMixin:
    form_class = PersonForm
    template_name = "people/form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            person = self.save(form)
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                for message in messages_:
                    form.add_error(field if field in form.fields else None, message)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("people:detail", pk=person.pk)


class PersonCreateView(ScopedMixin, PersonFormMixin, FormView):
    model = Person

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm("people.add_person"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        region = self.request.region
        return {"region": region.code} if region is not None else {}

    def save(self, form):
        return services.create_person(actor=self.request.user, data=form.service_data())


class PersonUpdateView(ScopedMixin, PersonFormMixin, FormView):
    model = Person

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.object = get_object_or_404(self.get_queryset().select_related("region"), pk=kwargs["pk"])
        if not request.user.has_perm("people.change_person", self.object):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.object}

    def get_context_data(self, **kwargs):
        return super().get_context_data(object=self.object, **kwargs)

    def save(self, form):
        return services.update_person(actor=self.request.user, person=self.object, data=form.service_data())


class PersonRevealView(ScopedMixin, View):
    """POST: show one protected field in full (recorded); returns a fragment for htmx."""

    model = Person
    http_method_names = ["post"]

    def post(self, request, pk, field):
        if field not in ProtectedField.values:
            raise Http404
        person = get_object_or_404(self.get_queryset().select_related("region"), pk=pk)
        value = services.reveal(actor=request.user, person=person, field=field, channel="web")
        return render(request, "htmx/revealed.html", {"value": value, "field": field, "person": person})


@login_required
@require_GET
def lookup(request):
    """Search the cadres the user may enter into a programme by name (tom-select); values are record ids."""
    people = selectors.search(request.user, request.GET.get("q", ""))
    results = [
        {"value": str(p.pk), "text": f"{p.name} · {p.region.name}", "code": p.get_position_display()}
        for p in people
    ]
    return JsonResponse({"results": results})
