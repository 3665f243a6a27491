"""Teaching sites (现场教学点), open classes (开放型课堂), their enrolments and attendance, and class assignments."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangdai.apprentices.choices import ApprenticeStatus
from bangdai.apprentices.models import Apprentice
from bangdai.core.choices import Method
from bangdai.core.querysets import GovernedQuerySet
from bangdai.mentors.choices import MentorStatus
from bangdai.mentors.models import Mentor
from bangdai.people.models import Person
from bangdai.programmes.models import Programme
from bangdai.regions.models import Region, subtree_q

from .choices import (
    AssignmentStatus,
    CheckInMethod,
    ClassStatus,
    EnrolmentSource,
    EnrolmentStatus,
    SiteLevel,
    SiteStatus,
    TeachingAction,
)

# Apprentices in these states take part in open classes.
ACTIVE_APPRENTICE = (ApprenticeStatus.ELIGIBLE, ApprenticeStatus.PAIRED)


def programme_reach_q(person_id: int | None, field: str) -> Q:
    """Records whose region (``field`` is its path) lies in a programme the cadre is an appointed mentor or an
    active apprentice of: the open-class network of their own programmes."""
    if not person_id:
        return Q(pk__in=[])
    paths = set(
        Mentor.objects.filter(person_id=person_id, status=MentorStatus.ACTIVE).values_list(
            "programme__region__path", flat=True
        )
    ) | set(
        Apprentice.objects.filter(person_id=person_id, status__in=ACTIVE_APPRENTICE).values_list(
            "programme__region__path", flat=True
        )
    )
    q = Q(pk__in=[])
    for path in sorted(paths):
        q |= subtree_q(path, field)
    return q


class TeachingSiteQuerySet(GovernedQuerySet):
    """Sites in the user's governed subtrees, the sites a mentor hosts, and those of the user's programmes."""

    region_field = "village"
    own_field = None

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        scope = user.scope
        if scope.superuser:
            return self
        q = scope.governed_q("village__path")
        if scope.person_id:
            hosts = TeachingSite.host_mentors.through.objects.filter(
                teachingsite_id=OuterRef("pk"), mentor__person_id=scope.person_id
            )
            q |= Q(Exists(hosts)) | programme_reach_q(scope.person_id, "village__path")
        return self.filter(q)

    def active(self):
        return self.filter(status=SiteStatus.ACTIVE)


class TeachingSite(models.Model):
    """A village used as a classroom, built on its mentors' experience (现场教学点)."""

    name = models.CharField(_("name"), max_length=100)
    village = models.ForeignKey(
        Region, verbose_name=_("host village"), on_delete=models.PROTECT, related_name="+"
    )
    host_mentors = models.ManyToManyField(
        Mentor, verbose_name=_("host mentors"), related_name="teaching_sites", blank=True
    )
    themes = models.JSONField(_("themes"), default=list)
    courses = models.JSONField(_("courses"), default=list, blank=True)
    capacity_per_session = models.PositiveSmallIntegerField(_("capacity per session"))
    level = models.CharField(_("level"), max_length=12, choices=SiteLevel.choices)
    academy = models.CharField(
        _("academy"), max_length=100, blank=True, help_text=_("For example 滕头乡村振兴学院.")
    )
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=SiteStatus.choices, default=SiteStatus.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TeachingSiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("teaching site (现场教学点)")
        verbose_name_plural = _("teaching sites")
        ordering = ["village__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="teaching_site_village_name_unique"),
            models.CheckConstraint(
                condition=Q(capacity_per_session__gte=1), name="teaching_site_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OpenClassQuerySet(GovernedQuerySet):
    """Classes in the user's governed subtrees, those of the user's programmes, the mentor's own classes, the
    classes at sites the mentor hosts, and the classes the apprentice is enrolled in."""

    region_field = "village"
    own_field = None

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        scope = user.scope
        if scope.superuser:
            return self
        q = scope.governed_q("village__path")
        if scope.person_id:
            person = scope.person_id
            enrolled = Enrolment.objects.filter(open_class_id=OuterRef("pk"), person_id=person)
            hosts = TeachingSite.host_mentors.through.objects.filter(
                teachingsite_id=OuterRef("site_id"), mentor__person_id=person
            )
            q |= (
                Q(mentor__person_id=person)
                | Q(Exists(enrolled))
                | Q(Exists(hosts))
                | programme_reach_q(person, "village__path")
            )
        return self.filter(q)

    def scheduled(self):
        return self.filter(status=ClassStatus.SCHEDULED)

    def upcoming(self, now=None):
        return self.scheduled().filter(starts_at__gt=now or timezone.now())


class OpenClass(models.Model):
    """One session a mentor teaches to many apprentices, at a teaching site or in a village (开放型课堂)."""

    title = models.CharField(_("title"), max_length=120)
    mentor = models.ForeignKey(
        Mentor, verbose_name=_("mentor"), on_delete=models.PROTECT, related_name="open_classes"
    )
    site = models.ForeignKey(
        TeachingSite,
        verbose_name=_("teaching site"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="classes",
    )
    village = models.ForeignKey(Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    place = models.CharField(_("place"), max_length=100, blank=True, help_text=_("For example 村文化礼堂."))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    content_areas = models.JSONField(_("content areas"), default=list)
    method = models.CharField(
        _("method"), max_length=24, choices=Method.choices, default=Method.ONSITE_TEACHING
    )
    capacity = models.PositiveSmallIntegerField(_("seats"))
    enrolled_count = models.PositiveSmallIntegerField(_("enrolled"), default=0, editable=False)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ClassStatus.choices, default=ClassStatus.SCHEDULED
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OpenClassQuerySet.as_manager()

    class Meta:
        verbose_name = _("open class (开放型课堂)")
        verbose_name_plural = _("open classes")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="open_class_capacity_positive"),
            # The seat counter never passes the capacity, whatever the interleaving of enrolments.
            models.CheckConstraint(
                condition=Q(enrolled_count__lte=models.F("capacity")), name="open_class_seats_within_capacity"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="open_class_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["mentor", "starts_at"], name="open_class_mentor_start"),
            models.Index(fields=["village", "starts_at"], name="open_class_village_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def free_seats(self) -> int:
        return max(self.capacity - self.enrolled_count, 0)

    @property
    def programme(self) -> Programme:
        return self.mentor.programme


def material_path(instance, filename: str) -> str:
    return f"teaching/materials/{instance.open_class_id}/{filename}"


class ClassMaterial(models.Model):
    """A handout or photo of an open class, stored only after it passed ``core.uploads.clean_upload``."""

    open_class = models.ForeignKey(OpenClass, on_delete=models.CASCADE, related_name="materials")
    file = models.FileField(_("file"), upload_to=material_path, max_length=200)
    name = models.CharField(_("name"), max_length=100)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("class material")
        verbose_name_plural = _("class materials")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class Enrolment(models.Model):
    """An apprentice's seat in an open class, and their attendance (报名与签到)."""

    open_class = models.ForeignKey(OpenClass, on_delete=models.CASCADE, related_name="enrolments")
    apprentice = models.ForeignKey(
        Apprentice, verbose_name=_("apprentice"), on_delete=models.PROTECT, related_name="class_enrolments"
    )
    # The apprentice's cadre, so that one cadre holds at most one seat whatever programme they enrol through.
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ENROLLED
    )
    source = models.CharField(_("enrolled through"), max_length=10, choices=EnrolmentSource.choices)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    enrolled_at = models.DateTimeField(_("enrolled"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    attended_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    check_in_method = models.CharField(_("check-in"), max_length=6, choices=CheckInMethod.choices, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("enrolment (报名)")
        verbose_name_plural = _("enrolments")
        ordering = ["enrolled_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["open_class", "person"],
                condition=Q(status=EnrolmentStatus.ENROLLED),
                name="enrolment_one_seat_per_cadre",
            ),
            models.CheckConstraint(
                condition=Q(attended_at__isnull=True) | Q(status=EnrolmentStatus.ENROLLED),
                name="enrolment_attended_only_if_enrolled",
            ),
        ]
        indexes = [models.Index(fields=["person", "attended_at"], name="enrolment_person_attended")]

    def __str__(self) -> str:
        return f"{self.open_class_id}:{self.person_id}"


class TeachingEvent(models.Model):
    """One step in a site's or a class's life: who, what, when and why."""

    site = models.ForeignKey(
        TeachingSite, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    open_class = models.ForeignKey(
        OpenClass, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    action = models.CharField(_("action"), max_length=20, choices=TeachingAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("teaching event")
        verbose_name_plural = _("teaching events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d}"


class ClassAssignmentQuerySet(GovernedQuerySet):
    region_field = "region"
    own_field = None


class ClassAssignment(models.Model):
    """A proposal of the matching engine seating apprentices of an area in open classes (智能分配), kept until an
    organiser confirms it (every enrolment at once, or none) or discards it."""

    region = models.ForeignKey(
        Region,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Apprentices working in this area's subtree are candidates."),
    )
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    classes = models.ManyToManyField(OpenClass, verbose_name=_("open classes"), related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.PROPOSED
    )
    params = models.JSONField(_("parameters"), default=dict)
    summary = models.JSONField(_("summary"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = ClassAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("class assignment (课堂分配)")
        verbose_name_plural = _("class assignments")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.pk}"


class AssignmentRow(models.Model):
    """One candidate of an assignment: the class proposed for them with its score, or why they got none."""

    assignment = models.ForeignKey(ClassAssignment, on_delete=models.CASCADE, related_name="rows")
    apprentice = models.ForeignKey(Apprentice, on_delete=models.CASCADE, related_name="+")
    open_class = models.ForeignKey(
        OpenClass, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    score = models.FloatField(_("score"), null=True, blank=True)
    distance_km = models.FloatField(_("distance (km)"), null=True, blank=True)
    coverage = models.FloatField(_("topic coverage"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("assignment row")
        verbose_name_plural = _("assignment rows")
        ordering = ["open_class_id", "distance_km", "apprentice_id"]

    def __str__(self) -> str:
        return f"{self.assignment_id}:{self.apprentice_id}->{self.open_class_id}"
