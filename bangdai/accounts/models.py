"""Users and their role assignments (user × region × role)."""

from functools import cached_property

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangdai.regions.models import Region

from .choices import Role
from .scope import Scope


class UserQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Accounts holding a role inside a subtree the user administers."""
        if not user.is_authenticated:
            return self.none()
        scope = user.scope
        if scope.superuser:
            return self
        admin_q = scope.governed_q("role_assignments__region__path", roles={Role.ORG_ADMIN})
        ids = self.filter(admin_q).values("pk")
        return self.filter(pk__in=ids)


class BangdaiUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person who signs in; may be linked to the cadre record they are."""

    person = models.OneToOneField(
        "people.Person",
        verbose_name=_("cadre record"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="account",
    )
    display_name = models.CharField(_("display name"), max_length=64, blank=True)

    objects = BangdaiUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @cached_property
    def scope(self) -> Scope:
        return Scope.for_user(self)


class RoleAssignment(models.Model):
    """A role a user holds at one region; it reaches the region's whole subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "region"], name="role_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} @ {self.region}"
