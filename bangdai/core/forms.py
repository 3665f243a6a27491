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
