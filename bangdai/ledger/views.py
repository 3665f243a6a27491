"""Ledger pages (帮带台账): the region list and its exports, a pairing's ledger, the quick record form, an entry
with its steps and history, corrections, evidence files, the to-confirm list and 复盘 reviews."""

import math

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView

from bangdai.core.choices import ContentArea, labels
from bangdai.core.forms import add_service_errors
from bangdai.core.views import (
    OfficeRegionMixin,
    ScopedDetailView,
    ScopedListView,
    ScopedMixin,
    stored_file_response,
)
from bangdai.pairings.choices import RUNNING_STATES
from bangdai.pairings.models import Pairing
from bangdai.pairings.services import party_of
from bangdai.pairings.tables import mentor_names

from . import selectors, services
from .choices import Side
from .filtersets import ActivityFilterSet
from .forms import CorrectionForm, RecordForm, ReviewForm, VerifyForm, WithdrawForm
from .models import Activity, Evidence, Review
from .tables import ActivityTable

MONTHS_SHOWN = 6  # month figures on a pairing's ledger


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def distance_km(activity: Activity) -> float | None:
    """Straight-line distance from the device's position when recording to the place's registered point."""
    place = activity.place
    if activity.lng is None or place.lng is None or place.lat is None:
        return None
    lng1, lat1, lng2, lat2 = map(math.radians, (activity.lng, activity.lat, place.lng, place.lat))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


# ---------------------------------------------------------------------------------------------------------------
# The region list


class LedgerListView(OfficeRegionMixin, ScopedListView):
    """Every entry the user may see, filtered by region, month, method and standing; CSV and xlsx exports."""

    model = Activity
    table_class = ActivityTable
    filterset_class = ActivityFilterSet
    template_name = "ledger/list.html"
    export_name = "ledger"
    export_columns = [
        (_("Date"), lambda a: a.occurred_on),
        (_("Apprentice"), lambda a: a.pairing.apprentice.person.name),
        (_("Mentors"), lambda a: mentor_names(a.pairing)),
        (_("Programme"), lambda a: a.pairing.programme.name),
        (_("Region code"), lambda a: a.region.code),
        (_("Region"), lambda a: a.region.name),
        (_("Method"), lambda a: a.get_method_display()),
        (_("Minutes"), lambda a: a.duration_min),
        (_("Content areas"), lambda a: labels(ContentArea, a.content_areas)),
        (_("Place code"), lambda a: a.place.code),
        (_("Place"), lambda a: a.place.name),
        (_("On site"), lambda a: str(_("yes") if a.on_site else _("no"))),
        (_("Summary"), lambda a: a.summary),
        (_("Problems solved"), lambda a: "；".join(a.problems_solved)),
        (_("Recorded by"), lambda a: f"{a.get_logged_as_display()} {a.logged_by or ''}".strip()),
        (_("Recorded"), lambda a: timezone.localtime(a.created_at).strftime("%Y-%m-%d %H:%M")),
        (_("Confirm by"), lambda a: a.confirm_due),
        (_("Standing"), lambda a: str(selectors.standing(a).label)),
        (
            _("Confirmed"),
            lambda a: timezone.localtime(a.confirmed_at).strftime("%Y-%m-%d %H:%M") if a.confirmed_at else "",
        ),
        (_("Verification"), lambda a: a.get_verification_display()),
        (_("Verification note"), lambda a: a.verification_note),
        (_("Files"), lambda a: len(a.files)),
    ]

    def base_queryset(self):
        return selectors.with_details(Activity.objects.order_by("-occurred_on", "-pk"))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Activity ledger"),
            can_add=selectors.recordable_pairings(self.request.user).exists(),
            add_url=reverse("ledger:record"),
            **kwargs,
        )


# ---------------------------------------------------------------------------------------------------------------
# The signed-in mentor's or apprentice's own ledger


class ToConfirmView(ScopedMixin, TemplateView):
    """待确认: entries the user should confirm, their own entries awaiting the other side, and their pairings."""

    model = Activity
    template_name = "ledger/to_confirm.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        today = timezone.localdate()
        pairings = list(selectors.own_pairings(user))
        month = selectors.month_start(today)
        figures = selectors.pairing_months([p.pk for p in pairings], month, today, today=today)
        for pairing in pairings:
            pairing.this_month = figures.get(pairing.pk, {}).get(month) or selectors.MonthFigures(month=month)
            pairing.running = pairing.status in RUNNING_STATES
        return super().get_context_data(
            to_confirm=selectors.with_details(selectors.awaiting_my_confirmation(user, today)),
            mine_open=selectors.with_details(selectors.awaiting_counterpart(user)),
            missed=selectors.with_details(selectors.missed_confirmations(user, today))[:20],
            pairings=pairings,
            can_record=any(p.running for p in pairings),
            today=today,
            **kwargs,
        )


# ---------------------------------------------------------------------------------------------------------------
# A pairing's ledger


class PairingLedgerView(ScopedMixin, View):
    """The timeline of one pairing: entries with photo thumbnails, month figures, 复盘 reviews."""

    model = Pairing

    def base_queryset(self):
        return Pairing.objects.select_related("apprentice__person", "programme", "region")

    def get(self, request, pk):
        pairing = get_object_or_404(self.get_queryset(), pk=pk)
        user = request.user
        side = party_of(user, pairing)
        page = Paginator(selectors.pairing_activities(user, pairing), 20).get_page(request.GET.get("page"))
        today = timezone.localdate()
        first = selectors.months_back(today, MONTHS_SHOWN)
        running = pairing.status in RUNNING_STATES
        return render(
            request,
            "ledger/pairing.html",
            {
                "pairing": pairing,
                "members": pairing.members.select_related("mentor__person", "mentor__region"),
                "page": page,
                "activities": page.object_list,
                "months": list(reversed(selectors.pairing_month_series(pairing, first, today, today=today))),
                "reviews": selectors.pairing_reviews(user, pairing),
                "side": side,
                "can_record": running and side is not None,
                "can_review": running and side == Side.MENTOR,
                "confirm_within": pairing.programme.policy.confirm_within_days,
            },
        )


# ---------------------------------------------------------------------------------------------------------------
# Recording


class RecordView(ScopedMixin, FormView):
    """The quick record form: one screen on a phone, filled in with the usual values."""

    model = Activity
    form_class = RecordForm
    template_name = "ledger/record.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.person_id:
            raise PermissionDenied  # only cadres (mentors and apprentices) record their own activities
        self.choices = list(selectors.recordable_pairings(request.user))
        self.pairing, self.refused = self.chosen_pairing(request)
        return super().dispatch(request, *args, **kwargs)

    def chosen_pairing(self, request):
        """The pairing named in the request, else the one the user last recorded for, else the first.

        A visible pairing the user cannot record for (not running, or not theirs) is named back to them above
        the form; one they cannot see is a 404. On POST the form's field refuses such a pairing itself.
        """
        by_pk = {p.pk: p for p in self.choices}
        value = request.POST.get("pairing") if request.method == "POST" else request.GET.get("pairing")
        refused = None
        if value:
            if not str(value).isdigit():
                raise Http404
            if int(value) in by_pk:
                return by_pk[int(value)], None
            if request.method == "POST":
                return None, None
            refused = get_object_or_404(
                Pairing.objects.visible_to(request.user).select_related("apprentice__person"), pk=value
            )
        last = (
            Activity.objects.filter(logged_by=request.user, pairing_id__in=list(by_pk))
            .order_by("-created_at", "-pk")
            .values_list("pairing_id", flat=True)
            .first()
        )
        if last:
            return by_pk[last], refused
        return (self.choices[0] if self.choices else None), refused

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        return {**kwargs, "user": self.request.user, "pairing": self.pairing}

    def get_initial(self):
        if self.pairing is None:
            return {}
        return RecordForm.defaults(self.request.user, self.pairing, party_of(self.request.user, self.pairing))

    def get_context_data(self, **kwargs):
        side = party_of(self.request.user, self.pairing) if self.pairing else None
        return super().get_context_data(
            pairings=self.choices,
            pairing=self.pairing,
            refused=self.refused,
            side=side,
            confirm_within=self.pairing.programme.policy.confirm_within_days if self.pairing else None,
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            activity = services.record_activity(
                actor=self.request.user,
                pairing=data["pairing"],
                files=data["files"],
                lng=data["lng"],
                lat=data["lat"],
                accuracy_m=data["accuracy_m"],
                **form.activity_data(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        message = (
            _("Recorded. The apprentice confirms it by %(date)s.")
            if activity.counterpart == Side.APPRENTICE
            else _("Recorded. The mentor confirms it by %(date)s.")
        )
        messages.success(self.request, message % {"date": activity.confirm_due.isoformat()})
        return redirect("ledger:detail", pk=activity.pk)


# ---------------------------------------------------------------------------------------------------------------
# An entry: its page, its steps, its correction, its files


class ActivityPageMixin(ScopedMixin):
    model = Activity

    def base_queryset(self):
        return selectors.with_details(Activity.objects.all())

    def get_activity(self, pk) -> Activity:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def page_context(self, activity, **overrides) -> dict:
        user = self.request.user
        actions = selectors.available_actions(user, activity)
        forms = {}
        if "verify" in actions:
            forms["verify"] = VerifyForm(prefix="verify")
        if "withdraw" in actions:
            forms["withdraw"] = WithdrawForm(prefix="withdraw")
        forms.update(overrides.pop("forms", {}))
        events = list(activity.events.select_related("actor").order_by("at", "id"))
        for event in events:
            event.rows = selectors.describe_changes(event.changes) if event.action == "correct" else []
        return {
            "activity": activity,
            "pairing": activity.pairing,
            "actions": actions,
            "forms": forms,
            "events": events,
            "reviews": activity.reviews.select_related("written_by"),
            "side": party_of(user, activity.pairing),
            "distance_km": distance_km(activity),
            "removed_files": activity.evidence.filter(removed_at__isnull=False),
            **overrides,
        }

    def render_page(self, activity, status=200, **overrides):
        return render(
            self.request, "ledger/detail.html", self.page_context(activity, **overrides), status=status
        )


class ActivityDetailView(ActivityPageMixin, View):
    def get(self, request, pk):
        return self.render_page(self.get_activity(pk))


ACTION_FORMS = {"verify": VerifyForm, "withdraw": WithdrawForm}
SUCCESS = {
    "confirm": _("Confirmed. Thank you."),
    "withdraw": _("The activity has been withdrawn; it stays in the history."),
    "verify": _("Your check has been recorded."),
}


class ActivityActionView(ActivityPageMixin, View):
    """POST one step. The role check comes first (403), then the form, then the service's own guards."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        if action not in SUCCESS:
            raise Http404
        activity = self.get_activity(pk)
        if not selectors.may(request.user, activity, action):
            raise PermissionDenied
        form = ACTION_FORMS[action](request.POST, prefix=action) if action in ACTION_FORMS else None
        if form is not None and not form.is_valid():
            return self.render_page(activity, forms={action: form}, failed_action=action)
        data = form.cleaned_data if form is not None else {}
        try:
            if action == "confirm":
                services.confirm_activity(actor=request.user, activity=activity)
            elif action == "withdraw":
                services.withdraw_activity(actor=request.user, activity=activity, reason=data["reason"])
            else:
                services.verify_activity(
                    actor=request.user, activity=activity, verdict=data["verdict"], note=data["note"]
                )
        except ValidationError as error:
            if form is not None:
                add_service_errors(form, error)
                return self.render_page(self.get_activity(pk), forms={action: form}, failed_action=action)
            return self.render_page(self.get_activity(pk), errors=error.messages)
        messages.success(request, SUCCESS[action])
        return redirect(_next_url(request, reverse("ledger:detail", args=[activity.pk])))


class CorrectView(ActivityPageMixin, FormView):
    """The author's correction; once the entry is confirmed or checked, a note says what changed and why."""

    form_class = CorrectionForm
    template_name = "ledger/correct.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.activity = self.get_activity(kwargs["pk"])
        if not selectors.may(request.user, self.activity, "correct"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "activity": self.activity}

    def get_initial(self):
        return CorrectionForm.initial_for(self.activity)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            activity=self.activity, needs_note=selectors.needs_note(self.activity), **kwargs
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.correct_activity(
                actor=self.request.user,
                activity=self.activity,
                note=data["note"],
                files=data["files"],
                remove_evidence=data["remove_evidence"],
                **form.activity_data(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Corrected; the history keeps what was there before."))
        return redirect("ledger:detail", pk=self.activity.pk)


class EvidenceView(ScopedMixin, View):
    """An evidence file (or its thumbnail), to those who may see its activity; documents are downloaded."""

    model = Evidence
    thumbnail = False

    def get(self, request, pk):
        evidence = get_object_or_404(self.get_queryset(), pk=pk)
        response = stored_file_response(
            evidence.thumbnail if self.thumbnail else evidence.file,
            content_type="image/jpeg" if self.thumbnail else evidence.content_type,
            filename=evidence.name if not self.thumbnail else f"thumb-{evidence.pk}.jpg",
            attachment=not evidence.is_image,
        )
        response["Cache-Control"] = "private, max-age=86400"
        return response


# ---------------------------------------------------------------------------------------------------------------
# 复盘 reviews


class ReviewCreateView(ScopedMixin, FormView):
    """The mentor's 复盘 over chosen activities of the pairing."""

    model = Pairing
    form_class = ReviewForm
    template_name = "ledger/review_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.pairing = get_object_or_404(
            self.get_queryset().select_related("apprentice__person", "programme"), pk=kwargs["pk"]
        )
        if party_of(request.user, self.pairing) != Side.MENTOR:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "pairing": self.pairing}

    def get_initial(self):
        chosen = self.request.GET.getlist("activity")
        return {"activities": [pk for pk in chosen if pk.isdigit()]}

    def get_context_data(self, **kwargs):
        return super().get_context_data(pairing=self.pairing, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            review = services.write_review(
                actor=self.request.user,
                pairing=self.pairing,
                activities=list(data["activities"]),
                lessons=data["lessons"],
                next_steps=data["next_steps"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The 复盘 review has been saved."))
        return redirect("ledger:review", pk=review.pk)


class ReviewDetailView(ScopedDetailView):
    model = Review
    template_name = "ledger/review.html"
    context_object_name = "review"

    def base_queryset(self):
        return Review.objects.select_related(
            "pairing__apprentice__person", "pairing__programme", "written_by"
        )

    def get_context_data(self, **kwargs):
        review = self.object
        return super().get_context_data(
            pairing=review.pairing,
            activities=selectors.with_details(review.activities.order_by("occurred_on", "pk")),
            **kwargs,
        )
