"""The roster upload form: a programme the user may import into, the kind of roster and the file."""

from django import forms
from django.utils.translation import gettext_lazy as _

from bangdai.core.forms import ScopedModelChoiceField
from bangdai.programmes.models import Programme

from . import services
from .choices import RosterKind
from .reading import MAX_UPLOAD_BYTES


class UploadForm(forms.Form):
    programme = ScopedModelChoiceField(
        label=_("Programme"), queryset=None, widget=forms.Select(attrs={"class": "form-select"})
    )
    kind = forms.ChoiceField(
        label=_("Roster"), choices=RosterKind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    file = forms.FileField(
        label=_("xlsx file"),
        help_text=_(
            "Excel workbook (*.xlsx), at most 10 MB. Use the template's columns; a title row is fine."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "class": "form-control",
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = services.programmes_for(user)
        # A programme the user cannot see at all is a 404, as everywhere else; one they see is just not a choice.
        self.fields["programme"].visible = Programme.objects.visible_to(user)

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(n)d MB.") % {"n": MAX_UPLOAD_BYTES // 1024 // 1024}
            )
        return file
