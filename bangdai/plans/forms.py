"""Plan forms: the goals (one card per goal, rows added without JavaScript), the comments of each step."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangdai.core.choices import ContentArea

from .services import GoalData

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
GOALS_PREFIX = "goals"


class GoalForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    content_area = forms.ChoiceField(label=_("Content area"), choices=[("", "—"), *ContentArea.choices])
    description = forms.CharField(label=_("Goal"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    measurable_target = forms.CharField(
        label=_("Measurable target"),
        max_length=200,
        help_text=_("How you will both know it is met, e.g. “drafts the village's 2027 work plan alone”."),
    )
    due_on = forms.DateField(label=_("Due"), widget=DATE_INPUT)

    def goal(self) -> GoalData:
        data = self.cleaned_data
        return GoalData(
            content_area=data["content_area"],
            description=data["description"],
            measurable_target=data["measurable_target"],
            due_on=data["due_on"],
            id=data.get("id"),
        )


class BaseGoalFormSet(forms.BaseFormSet):
    """Every row may be left blank (it is skipped); a ticked “remove” drops the goal."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if self.can_delete:
            form.fields[forms.formsets.DELETION_FIELD_NAME].label = _("Remove this goal")

    def goals(self) -> list[GoalData]:
        return [
            form.goal()
            for form in self.forms
            if form.has_changed() and not (self.can_delete and self._should_delete_form(form))
        ]


GoalFormSet = forms.formset_factory(GoalForm, formset=BaseGoalFormSet, extra=0, can_delete=True, max_num=30)


def goal_formset(data=None, goals=(), blank_rows: int = 1) -> BaseGoalFormSet:
    """A bound formset: the posted rows (plus ``blank_rows``), or the plan's goals and blank rows to fill.

    Every row is bound and "extra", so a blank row is skipped and a filled one is checked, whether it was
    shown filled in or typed by the mentor.
    """
    if data is None:
        data = {}
        for i, goal in enumerate(goals):
            for name in ("id", "content_area", "description", "measurable_target", "due_on"):
                value = goal.pk if name == "id" else getattr(goal, name)
                data[f"{GOALS_PREFIX}-{i}-{name}"] = value.isoformat() if name == "due_on" else value
        total = len(goals)
    else:
        data = data.copy()
        total = int(data.get(f"{GOALS_PREFIX}-TOTAL_FORMS") or 0)
    data[f"{GOALS_PREFIX}-TOTAL_FORMS"] = str(min(total + blank_rows, 30))
    data[f"{GOALS_PREFIX}-INITIAL_FORMS"] = "0"
    return GoalFormSet(data, prefix=GOALS_PREFIX)


class PlanForm(forms.Form):
    summary = forms.CharField(
        label=_("Overall aim"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the apprentice should be able to do by the end of the pairing."),
    )
    comment = forms.CharField(
        label=_("Note to the reviewer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Sent with the plan when you submit it; for a revision, say what changes and why."),
    )


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What should change"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class GoalMetForm(forms.Form):
    on = forms.DateField(label=_("Met on"), widget=DATE_INPUT)
    note = forms.CharField(label=_("How"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)
