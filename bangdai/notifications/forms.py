"""The reminder preferences form: one frequency per non-mandatory kind."""

from django import forms

from . import services
from .choices import REMINDER_KINDS, Frequency, Kind


class PreferencesForm(forms.Form):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        current = services.preferences_of(user)
        labels = dict(Kind.choices)
        for kind in REMINDER_KINDS:
            self.fields[kind] = forms.ChoiceField(
                label=labels[kind],
                choices=Frequency.choices,
                initial=current[kind],
                widget=forms.RadioSelect,
            )

    def values(self) -> dict[str, str]:
        return {kind: self.cleaned_data[kind] for kind in REMINDER_KINDS}
