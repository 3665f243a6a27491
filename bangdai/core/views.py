"""Base views: the scoping chokepoint, tables with filters, htmx fragments and exports."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import DetailView, FormView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from bangdai.accounts.choices import GOVERNING_ROLES

from .exports import export_response
from .forms import add_service_errors


def stored_file_response(stored, *, content_type: str, filename: str, attachment: bool) -> FileResponse:
    """A stored upload (evidence, material, submitted file) as a response; an empty or lost file is a 404."""
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, content_type=content_type, as_attachment=attachment, filename=filename)


class ScopedMixin(LoginRequiredMixin):
    """Every object a view touches comes from ``Model.objects.visible_to(user)``; anything else is a 404."""

    model = None

    def base_queryset(self):
        if self.model is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a model")
        return self.model.objects.all()

    def get_queryset(self):
        return self.base_queryset().visible_to(self.request.user)


class ScopedDetailView(ScopedMixin, DetailView):
    pass


class ScopedListView(ScopedMixin, SingleTableMixin, FilterView):
    """A filtered, sorted, paginated table; htmx requests get the table fragment only."""

    per_page = 50  # django-tables2 paginates; the list view's own paginate_by stays None (one COUNT query)
    export_name = "export"
    export_columns: list[tuple[str, object]] = []
    template_name = "components/list_page.html"
    fragment_template = "htmx/table.html"

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:
            return [self.fragment_template]
        return super().get_template_names()

    def get_table_pagination(self, table):
        return {"per_page": self._per_page()}

    def _per_page(self) -> int:
        try:
            value = int(self.request.GET.get("per_page", self.per_page))
        except ValueError:
            return self.per_page
        return min(max(value, 5), 200)

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt in ("csv", "xlsx"):
            filterset = self.get_filterset(self.get_filterset_class())
            rows = filterset.qs if filterset.is_valid() else self.get_queryset().none()
            return export_response(self.export_name, self.export_columns, rows, fmt, request)
        return super().get(request, *args, **kwargs)


class CurrentRegionFilterMixin:
    """Lists open on the current region of the switcher unless the query string names one."""

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        # django-filter passes None for an empty query string; the list is still bound to the current region.
        data = kwargs["data"].copy() if kwargs["data"] is not None else QueryDict(mutable=True)
        if "region" not in data and self.request.region is not None:
            data["region"] = self.request.region.code
        kwargs["data"] = data
        return kwargs


class OfficeRegionMixin(CurrentRegionFilterMixin):
    """Offices' lists open on the switcher's region; a mentor or an apprentice sees all their own at once."""

    def get_filterset_kwargs(self, filterset_class):
        if self.request.user.scope.has_role(*GOVERNING_ROLES):
            return super().get_filterset_kwargs(filterset_class)
        return super(CurrentRegionFilterMixin, self).get_filterset_kwargs(filterset_class)


class ServiceFormView(ScopedMixin, FormView):
    """A page whose form hands its cleaned data to one service call; the service's errors show on the form.

    Subclasses name the roles allowed in (others get 403), the page's labels, and ``perform(form)``, which calls
    the service and returns the record to open next (``success_url_name`` with its pk).
    """

    template_name = "components/form_page.html"
    required_roles: frozenset = frozenset()
    initial_params: tuple[str, ...] = ()
    page_title = pretitle = submit_label = success_message = ""
    cancel_url_name = success_url_name = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.scope.has_role(*self.required_roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        return {name: self.request.GET.get(name) for name in self.initial_params}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=self.page_title,
            pretitle=self.pretitle,
            cancel_url=reverse(self.cancel_url_name),
            submit_label=self.submit_label,
            columns=2,
            **kwargs,
        )

    def perform(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            record = self.perform(form)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(self.success_url_name, pk=record.pk)
