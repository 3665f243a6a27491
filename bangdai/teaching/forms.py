"""Forms of teaching sites and open classes; every choice is narrowed to what the user may see or act on."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangdai.accounts.choices import EDITING_ROLES, Role
from bangdai.apprentices.models import Apprentice
from bangdai.core.choices import ContentArea, Method
from bangdai.core.forms import RegionChoiceField, ScopedModelChoiceField, ScopedModelMultipleChoiceField
from bangdai.mentors.models import Mentor
from bangdai.programmes.models import Programme

from . import selectors, services
from .choices import SiteLevel
from .models import OpenClass, TeachingSite

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalField(forms.DateTimeField):
    """A phone's date-and-time picker (``datetime-local``), to the minute."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)
    input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def areas_field(label, **kwargs):
    return forms.MultipleChoiceField(
        label=label, choices=ContentArea.choices, widget=forms.CheckboxSelectMultiple, **kwargs
    )


class MentorChoiceField(ScopedModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.person.name} · {obj.get_tier_display()} · {obj.programme.name}"


class MentorsChoiceField(ScopedModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.person.name} · {obj.region.name} · {obj.get_tier_display()}"


class SiteChoiceField(ScopedModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.village.name} · {obj.capacity_per_session}"


class ApprenticesChoiceField(ScopedModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.person.name} · {obj.region.name} · {obj.programme.name}"


class ClassesChoiceField(ScopedModelMultipleChoiceField):
    def label_from_instance(self, obj):
        start = timezone.localtime(obj.starts_at).strftime("%Y-%m-%d %H:%M")
        return _("%(title)s · %(start)s · %(village)s · %(free)d free") % {
            "title": obj.title,
            "start": start,
            "village": obj.village.name,
            "free": obj.free_seats,
        }


class SiteForm(forms.Form):
    name = forms.CharField(label=_("Site name"), max_length=100)
    village = RegionChoiceField(label=_("Host village"))
    level = forms.ChoiceField(label=_("Level"), choices=SiteLevel.choices)
    capacity_per_session = forms.IntegerField(label=_("Capacity per session"), min_value=1, max_value=500)
    themes = areas_field(_("Themes"))
    courses = forms.CharField(
        label=_("Courses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One course title per line."),
    )
    host_mentors = MentorsChoiceField(
        label=_("Host mentors"),
        queryset=Mentor.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Appointed mentors who teach here."),
    )
    academy = forms.CharField(
        label=_("Academy"), max_length=100, required=False, help_text=_("For example 滕头乡村振兴学院.")
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, site: TeachingSite | None = None, **kwargs):
        if site is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": site.name,
                    "village": site.village.code,
                    "level": site.level,
                    "capacity_per_session": site.capacity_per_session,
                    "themes": site.themes,
                    "courses": "\n".join(site.courses),
                    "host_mentors": list(site.host_mentors.values_list("pk", flat=True)),
                    "academy": site.academy,
                    "description": site.description,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["village"].restrict_to(user, roles={Role.ORG_ADMIN})
        visible = Mentor.objects.visible_to(user)
        self.fields["host_mentors"].queryset = (
            visible.appointed()
            .filter(user.scope.governed_q("region__path", roles={Role.ORG_ADMIN}))
            .select_related("person", "region")
            .order_by("region__path", "person__name", "pk")
        )
        self.fields["host_mentors"].visible = visible

    def clean_courses(self):
        return [line.strip() for line in self.cleaned_data["courses"].splitlines() if line.strip()]

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class ClassFields(forms.Form):
    title = forms.CharField(label=_("Class title"), max_length=120)
    starts_at = DateTimeLocalField(label=_("Starts"))
    ends_at = DateTimeLocalField(label=_("Ends"))
    content_areas = areas_field(_("Content areas"))
    method = forms.ChoiceField(label=_("Method"), choices=Method.choices, initial=Method.ONSITE_TEACHING)
    capacity = forms.IntegerField(label=_("Seats"), min_value=1, max_value=services.MAX_CAPACITY)
    place = forms.CharField(
        label=_("Place"), max_length=100, required=False, help_text=_("For example 村文化礼堂.")
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def class_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in ClassFields.base_fields}


class ClassForm(ClassFields):
    """Schedule a class: the mentor (the user's own record, or one they govern), then a site or a village."""

    mentor = MentorChoiceField(label=_("Mentor"), queryset=Mentor.objects.none())
    site = SiteChoiceField(
        label=_("Teaching site"),
        queryset=TeachingSite.objects.none(),
        required=False,
        empty_label=_("(none: in a village)"),
    )
    village = RegionChoiceField(
        label=_("Or a village"), required=False, help_text=_("Where the class is held when not at a site.")
    )

    field_order = ["mentor", "site", "village", "title", "starts_at", "ends_at"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        mentors = selectors.schedulable_mentors(user)
        self.fields["mentor"].queryset = mentors
        self.fields["mentor"].visible = Mentor.objects.visible_to(user)
        if len(mentors[:2]) == 1:
            self.fields["mentor"].initial = mentors[0].pk
        self.fields["site"].queryset = (
            TeachingSite.objects.visible_to(user)
            .active()
            .select_related("village")
            .order_by("village__path", "name")
        )
        self.fields["site"].visible = TeachingSite.objects.visible_to(user)
        self.fields["village"].restrict_to(user)

    def service_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("mentor", "site", "village")} | self.class_data()


class ClassEditForm(ClassFields):
    def __init__(self, *args, open_class: OpenClass, **kwargs):
        kwargs.setdefault(
            "initial",
            {k: getattr(open_class, k) for k in ClassFields.base_fields if k not in ("starts_at", "ends_at")},
        )
        kwargs["initial"].setdefault("starts_at", timezone.localtime(open_class.starts_at))
        kwargs["initial"].setdefault("ends_at", timezone.localtime(open_class.ends_at))
        super().__init__(*args, **kwargs)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class MaterialForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("A PDF handout or a photo (JPEG, PNG, WebP); photos are stored without their metadata."),
    )


class EnrolForm(forms.Form):
    apprentices = ApprenticesChoiceField(
        label=_("Apprentices"),
        queryset=Apprentice.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )

    def __init__(self, *args, user, open_class: OpenClass, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["apprentices"].queryset = selectors.enrollable_apprentices(user, open_class)
        self.fields["apprentices"].visible = Apprentice.objects.visible_to(user)


class AssignForm(forms.Form):
    classes = ClassesChoiceField(
        label=_("Open classes"), queryset=OpenClass.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    area = RegionChoiceField(
        label=_("Apprentices of"), help_text=_("Apprentices working in this area are candidates.")
    )
    programme = ScopedModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.none(),
        required=False,
        empty_label=_("(any programme)"),
    )
    max_distance_km = forms.IntegerField(
        label=_("Longest distance (km)"), min_value=1, max_value=500, initial=services.ASSIGN_MAX_DISTANCE_KM
    )
    require_topic = forms.BooleanField(
        label=_("Only apprentices who need one of a class's content areas"), required=False, initial=True
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["classes"].queryset = selectors.assignable_classes(user)
        self.fields["classes"].visible = OpenClass.objects.visible_to(user)
        self.fields["area"].restrict_to(user, roles=EDITING_ROLES)
        self.fields["programme"].queryset = Programme.objects.visible_to(user).order_by("-year", "name")
        self.fields["programme"].visible = Programme.objects.visible_to(user)

    def service_data(self) -> dict:
        return dict(self.cleaned_data)
