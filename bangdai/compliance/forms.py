"""Filters of the compliance pages: the region (one the user governs), light, rule, programme, a name."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangdai.accounts.choices import GOVERNING_ROLES
from bangdai.core.filters import visible_region
from bangdai.programmes.models import Programme
from bangdai.regions.models import Region

from .rules import RULE_LABELS, Rule
from .selectors import SILENT_CHOICES, SILENT_DAYS, TREND_MONTHS

TREND_CHOICES = (6, TREND_MONTHS, 24)

# Rules that can be reasons (the current quarter's heads-ups are amber only near its end).
RULE_CHOICES = [("", _("Any rule"))] + [(rule.value, _(RULE_LABELS[rule])) for rule in Rule]
LIGHT_CHOICES = [
    ("behind", _("Red or amber")),
    ("red", _("Red")),
    ("amber", _("Amber")),
    ("green", _("Green")),
    ("all", _("All")),
]


def governed_region(user, code: str | None, current: Region | None = None) -> Region:
    """The region a compliance page covers: ``code`` if given, else the current region, else the user's first
    governed region. Not visible: 404. Visible but not governed (a mentor's own village): 403."""
    scope = user.scope
    if code:
        region = visible_region(user, code.strip())
    elif current and scope.governs(current.path):  # a lazy object: falsy when there is no current region
        region = current
    else:
        roots = scope.paths(GOVERNING_ROLES)
        if not roots:
            raise PermissionDenied
        region = Region.objects.current().filter(path=roots[0]).first()
        if region is None:
            raise Http404
    if not scope.governs(region.path):
        raise PermissionDenied
    return region


class RegionForm(forms.Form):
    """The region field shared by the three region pages (a code; validated by ``governed_region``)."""

    region = forms.CharField(label=_("Region"), required=False)
    defaults: dict = {}  # what an empty query string means (shown as chosen)

    def __init__(self, data, *, user, **kwargs):
        self.user = user
        data = data.copy()
        for name, value in self.defaults.items():
            if not data.get(name):
                data[name] = value
        super().__init__(data, **kwargs)


class BehindForm(RegionForm):
    defaults = {"light": "behind"}
    q = forms.CharField(label=_("Apprentice or mentor"), required=False)
    light = forms.ChoiceField(
        label=_("Light"),
        choices=LIGHT_CHOICES,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    rule = forms.ChoiceField(
        label=_("Reason"),
        choices=RULE_CHOICES,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.none(),
        required=False,
        empty_label=_("All programmes"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.visible_to(self.user).order_by("-year", "name")

    def clean(self):
        # A programme the user cannot see is a 404, as when opening it by URL; an unknown id a field error.
        raw = str(self.data.get("programme") or "")
        if "programme" in self.errors and raw.isdigit() and Programme.objects.filter(pk=raw).exists():
            raise Http404
        return super().clean()


def _number_field(label, values, default) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[(n, n) for n in values],
        coerce=int,
        required=False,
        empty_value=default,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class SilentForm(RegionForm):
    defaults = {"days": SILENT_DAYS}
    days = _number_field(_("No activity for"), SILENT_CHOICES, SILENT_DAYS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].choices = [(d, gettext("%(days)s days") % {"days": d}) for d in SILENT_CHOICES]


class TrendsForm(RegionForm):
    defaults = {"months": TREND_MONTHS}
    months = _number_field(_("Months"), TREND_CHOICES, TREND_MONTHS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["months"].choices = [(n, gettext("%(n)s months") % {"n": n}) for n in TREND_CHOICES]
