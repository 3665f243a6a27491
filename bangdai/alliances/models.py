"""Radiation alliances (辐射式帮带, 党建联盟): villages around a mentor's village, their joint activities, and the
planner's proposals (PlanRun) that the organisation department edits and adopts."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bangdai.core.querysets import GovernedQuerySet
from bangdai.mentors.models import Mentor
from bangdai.regions.models import Region

from .choices import (
    LIVE_STATES,
    AllianceAction,
    AllianceStatus,
    PlanAction,
    PlanStatus,
    Unplaced,
)


class AllianceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Alliances organised in the user's governed subtrees or with a member village there, and those the user
        leads as mentor."""
        if not user.is_authenticated:
            return self.none()
        scope = user.scope
        if scope.superuser:
            return self
        members = AllianceMember.objects.filter(scope.governed_q("village__path"), alliance=OuterRef("pk"))
        q = scope.governed_q("region__path") | Q(Exists(members))
        if scope.person_id:
            q |= Q(lead_mentor__person_id=scope.person_id)
        return self.filter(q)

    def live(self):
        return self.filter(status__in=LIVE_STATES)


class Alliance(models.Model):
    """A party-building alliance of villages around a hub village and its lead mentor (党建联盟)."""

    name = models.CharField(_("name"), max_length=100)
    theme = models.CharField(_("theme"), max_length=200, blank=True, help_text=_("e.g. 民宿共富, 书香大陈"))
    region = models.ForeignKey(
        Region,
        verbose_name=_("organising region"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The organisation department that forms the alliance; every member village lies inside it."
        ),
    )
    hub = models.ForeignKey(Region, verbose_name=_("hub village"), on_delete=models.PROTECT, related_name="+")
    lead_mentor = models.ForeignKey(
        Mentor, verbose_name=_("lead mentor"), on_delete=models.PROTECT, related_name="led_alliances"
    )
    goals = models.TextField(_("shared goals"), blank=True)
    # [{"description": str, "value": number, "unit": str, "due": "YYYY-MM-DD" | null}], see services.clean_targets
    targets = models.JSONField(_("measurable targets"), default=list, blank=True)
    founded_on = models.DateField(_("founded on"))
    status = models.CharField(
        _("status"), max_length=12, choices=AllianceStatus.choices, default=AllianceStatus.FORMING
    )
    spans_counties = models.BooleanField(_("spans counties"), default=False, editable=False)
    plan = models.ForeignKey(
        "PlanRun",
        verbose_name=_("adopted from plan"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alliances",
    )
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AllianceQuerySet.as_manager()

    class Meta:
        verbose_name = _("alliance (党建联盟)")
        verbose_name_plural = _("alliances")
        ordering = ["-founded_on", "-id"]
        constraints = [
            # A mentor leads at most one alliance that is forming or active.
            models.UniqueConstraint(
                fields=["lead_mentor"], condition=Q(status__in=LIVE_STATES), name="alliance_one_live_per_lead"
            ),
        ]
        indexes = [models.Index(fields=["status"], name="alliance_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATES


class AllianceMember(models.Model):
    """A village's membership of an alliance, from joining to leaving (or the alliance's dissolution)."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="members")
    village = models.ForeignKey(Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    is_hub = models.BooleanField(_("hub village"), default=False)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    # True while the village belongs to a forming or active alliance: the database keeps it to one at a time.
    current = models.BooleanField(_("current member"), default=True)

    class Meta:
        verbose_name = _("alliance member village")
        verbose_name_plural = _("alliance member villages")
        ordering = ["-is_hub", "village__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["village"], condition=Q(current=True), name="alliance_member_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alliance_id}:{self.village_id}"


class AllianceEvent(models.Model):
    """One step in an alliance's life: who, what, from which state to which, which village, when and why."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=AllianceAction.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=AllianceStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=AllianceStatus.choices, blank=True)
    village = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("alliance event")
        verbose_name_plural = _("alliance events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alliance_id} {self.action}"


class JointActivity(models.Model):
    """A joint activity of member villages (联合活动), e.g. marketing their 民宿 together during a slump."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="activities")
    occurred_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=120)
    summary = models.TextField(pgettext_lazy("joint activity", "summary"))
    villages = models.ManyToManyField(Region, verbose_name=_("participating villages"), related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(pgettext_lazy("joint activity", "recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("joint activity (联合活动)")
        verbose_name_plural = _("joint activities")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["alliance", "occurred_on"], name="joint_activity_date")]

    def __str__(self) -> str:
        return self.title


class JointEvidence(models.Model):
    """A photo or PDF attached to a joint activity, stored as checked by core.uploads (never the raw upload)."""

    activity = models.ForeignKey(JointActivity, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to="alliances/%Y/%m/")
    name = models.CharField(_("file name"), max_length=100)
    content_type = models.CharField(_("content type"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10)  # "image" or "document"
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class PlanRunQuerySet(GovernedQuerySet):
    own_field = None


class PlanRun(models.Model):
    """One proposal of the alliance planner for a county or city, kept with its parameters and solver figures."""

    region = models.ForeignKey(
        Region,
        verbose_name=pgettext_lazy("alliance plan", "area"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The county or city planned; adopted alliances are organised here."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.QUEUED
    )
    # hubs_min, hubs_max, max_km, max_size, time_limit, qualification, weighting: everything the selector read.
    params = models.JSONField(_("parameters"), default=dict)
    # The solver's figures (status, objective, bound, gap, seconds, ...) and the proposal's, after edits.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.JSONField(_("error"), default=dict, blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    job = models.ForeignKey(
        "jobs.Job", verbose_name=_("job"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("planned by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = PlanRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("alliance plan (联盟规划)")
        verbose_name_plural = _("alliance plans")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.region} #{self.pk}"


class PlanHub(models.Model):
    """A proposed alliance: its hub village and lead mentor."""

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="hubs")
    village = models.ForeignKey(
        Region, verbose_name=_("hub village"), on_delete=models.PROTECT, related_name="+"
    )
    mentor = models.ForeignKey(
        Mentor, verbose_name=_("lead mentor"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("proposed hub")
        verbose_name_plural = _("proposed hubs")
        ordering = ["run", "village__path"]
        constraints = [models.UniqueConstraint(fields=["run", "village"], name="plan_hub_run_village")]

    def __str__(self) -> str:
        return str(self.village_id)


class PlanVillage(models.Model):
    """A village of the planned area: its proposed hub and distance, or why it has none."""

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="villages")
    village = models.ForeignKey(Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    weight = models.PositiveIntegerField(_("weight"), default=1)
    hub = models.ForeignKey(
        PlanHub,
        verbose_name=_("hub"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    km = models.FloatField(_("distance (km)"), null=True, blank=True)
    reason = models.CharField(_("why unplaced"), max_length=16, choices=Unplaced.choices, blank=True)
    nearest = models.ForeignKey(
        Region,
        verbose_name=_("nearest hub"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    nearest_km = models.FloatField(_("distance to the nearest hub (km)"), null=True, blank=True)
    moved = models.BooleanField(_("moved by hand"), default=False)

    class Meta:
        verbose_name = _("planned village")
        verbose_name_plural = _("planned villages")
        ordering = ["run", "village__path"]
        constraints = [models.UniqueConstraint(fields=["run", "village"], name="plan_village_run_village")]

    def __str__(self) -> str:
        return str(self.village_id)


class PlanEvent(models.Model):
    """One step of a proposal: solved, a village moved, a hub dropped, adopted or discarded."""

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=PlanAction.choices)
    detail = models.TextField(_("detail"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("proposal event")
        verbose_name_plural = _("proposal events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.run_id} {self.action}"
