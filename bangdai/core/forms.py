"""Shared form fields: the region chooser, narrowed to what the user may see or edit."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _


def resolve_region_choice(allowed, code: str, error_messages=None):
    """The region with this code among ``allowed``.

    A malformed or unknown code is a field error; a real region outside the allowed set is a 404, exactly
    like opening an out-of-scope record by URL.
    """
    from bangdai.regions.models import Region

    error_messages = error_messages or RegionChoiceField.default_error_messages
    if not (code.isdigit() and len(code) in (6, 9, 12)):
        raise ValidationError(error_messages["bad_code"], code="bad_code")
    region = allowed.filter(code=code).first()
    if region is not None:
        return region
    if Region.objects.current().filter(code=code).exists():
        raise Http404
    raise ValidationError(error_messages["invalid_choice"], code="invalid_choice", params={"value": code})


class RegionSelect(forms.Select):
    """Renders only the chosen region; the browser searches the rest through the lookup endpoint."""

    template_name = "components/region_select.html"

    def __init__(self, attrs=None):
        super().__init__(attrs={"data-region-select": "1", **(attrs or {})})

    def optgroups(self, name, value, attrs=None):
        selected = [str(v) for v in value if v not in (None, "")]
        if not selected or not hasattr(self.choices, "queryset"):
            return []
        field = self.choices.field
        groups = []
        for index, obj in enumerate(self.choices.queryset.filter(code__in=selected)):
            option = self.create_option(
                name, obj.code, field.label_from_instance(obj), True, index, attrs=attrs
            )
            groups.append((None, [option], index))
        return groups


class RegionChoiceField(forms.ModelChoiceField):
    """A current region chosen by code, from the regions the user may see (or edit)."""

    widget = RegionSelect
    default_error_messages = {
        "invalid_choice": _("No current region has the code %(value)s."),
        "bad_code": _("A region code has 6, 9 or 12 digits."),
    }

    def __init__(self, **kwargs):
        from bangdai.regions.models import Region

        kwargs.setdefault("queryset", Region.objects.none())
        kwargs.setdefault("to_field_name", "code")
        super().__init__(**kwargs)
        self._model = Region

    def restrict_to(self, user, *, editing=False, roles=None):
        from bangdai.accounts.choices import EDITING_ROLES

        scope = user.scope
        if roles is not None:
            q = scope.governed_q("path", roles=roles)
        elif editing:
            q = scope.governed_q("path", roles=EDITING_ROLES)
        else:
            q = scope.regions_q("path")
        self.queryset = self._model.objects.current().filter(q)
        self.widget.choices = self.choices

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return resolve_region_choice(self.queryset, str(value).strip(), self.error_messages)

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class LookupSelect(forms.Select):
    """A select searched through a JSON lookup endpoint (tom-select); renders only the chosen option."""

    template_name = "components/lookup_select.html"

    def __init__(self, lookup_url, attrs=None):
        super().__init__(attrs={"data-region-select": "1", "data-lookup-url": lookup_url, **(attrs or {})})

    def get_context(self, name, value, attrs):
        from django.urls import reverse

        context = super().get_context(name, value, attrs)
        url = context["widget"]["attrs"]["data-lookup-url"]
        if not url.startswith("/"):
            context["widget"]["attrs"]["data-lookup-url"] = reverse(url)
        return context

    def optgroups(self, name, value, attrs=None):
        selected = [str(v) for v in value if v not in (None, "")]
        if not selected or not hasattr(self.choices, "queryset"):
            return []
        field = self.choices.field
        key = field.to_field_name or "pk"
        groups = []
        for index, obj in enumerate(self.choices.queryset.filter(**{f"{key}__in": selected})):
            option = self.create_option(
                name, getattr(obj, key), field.label_from_instance(obj), True, index, attrs=attrs
            )
            groups.append((None, [option], index))
        return groups


class ScopedChoiceMixin:
    """Choices narrowed to ``queryset``; a record that exists but lies outside ``visible`` is a 404.

    A record the user may see but not choose (an apprentice already paired, a mentor with no free place) is an
    ordinary field error, so a stale form explains itself.
    """

    def __init__(self, *args, visible=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.visible = visible

    def _hidden(self, values) -> bool:
        if self.visible is None:
            return False
        key = self.to_field_name or "pk"
        values = [v for v in values if v not in self.empty_values]
        try:
            found = self.visible.filter(**{f"{key}__in": values}).count()
        except (ValueError, TypeError, ValidationError):
            return False
        if found == len(set(values)):
            return False
        try:
            return self.queryset.model._default_manager.filter(**{f"{key}__in": values}).count() > found
        except (ValueError, TypeError, ValidationError):
            return False


class ScopedModelChoiceField(ScopedChoiceMixin, forms.ModelChoiceField):
    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            if self._hidden([value]):
                raise Http404 from None
            raise


class ScopedModelMultipleChoiceField(ScopedChoiceMixin, forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        try:
            return super()._check_values(value)
        except ValidationError:
            if self._hidden(list(value)):
                raise Http404 from None
            raise


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: field errors inline, the rest above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)
