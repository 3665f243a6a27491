"""Uploaded rosters (名册): the file, who uploaded it for which programme, and the last check or import report."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bangdai.accounts.choices import Role
from bangdai.programmes.models import Programme

from .choices import RosterKind, UploadStatus


class RosterUploadQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The user's own uploads, plus uploads for programmes in a subtree the user is organisation admin of."""
        if not user.is_authenticated:
            return self.none()
        scope = user.scope
        if scope.superuser:
            return self
        q = Q(uploaded_by=user)
        if scope.has_role(Role.ORG_ADMIN):
            q |= scope.governed_q("programme__region__path", roles={Role.ORG_ADMIN})
        return self.filter(q)


class RosterUpload(models.Model):
    """One uploaded roster file and what became of it (名册导入)."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="roster_uploads"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=RosterKind.choices)
    file = models.FileField(_("file"), upload_to="rosters/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=UploadStatus.choices, default=UploadStatus.UPLOADED
    )
    report = models.JSONField(_("report"), default=dict, blank=True)
    report_file = models.FileField(_("report file"), upload_to="rosters/reports/%Y/%m/", blank=True)
    job = models.ForeignKey(
        "jobs.Job", verbose_name=_("job"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)

    objects = RosterUploadQuerySet.as_manager()

    class Meta:
        verbose_name = _("roster upload (名册导入)")
        verbose_name_plural = _("roster uploads")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name
