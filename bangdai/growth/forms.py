"""The timeline's filters: kinds of entry and a year."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Kind


class TimelineFilter(forms.Form):
    """``?kind=activity&kind=assignment&year=2027``; no kind means every kind, no year every year."""

    kind = forms.MultipleChoiceField(label=_("Kinds"), choices=Kind.choices, required=False)
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100, required=False)

    def choice(self) -> tuple[list[str], int | None]:
        """The valid part of the filters: pages ignore an unknown kind or a malformed year rather than fail."""
        self.is_valid()
        kinds = set(self.data.getlist("kind")) if hasattr(self.data, "getlist") else set()
        year = self.cleaned_data.get("year") if "year" not in self.errors else None
        return [k for k in Kind.values if k in kinds], year
