"""Account management inside an organisation department's subtree."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bangdai.regions.models import Region

from .choices import ROLE_LEVELS, Role
from .models import RoleAssignment, User


def can_manage(actor, user: User) -> bool:
    """An admin manages an account when every role it holds lies inside the admin's subtree."""
    scope = actor.scope
    if scope.superuser:
        return True
    if user.pk == actor.pk or user.is_superuser:
        return False
    paths = [a.region.path for a in user.role_assignments.select_related("region")]
    return bool(paths) and all(scope.administers(p) for p in paths)


def _check_grant(actor, role: str, region: Region) -> None:
    if region.level not in ROLE_LEVELS[Role(role)]:
        raise ValidationError(
            {"region": _("The role %(role)s cannot be held at this level.") % {"role": Role(role).label}}
        )
    if not actor.scope.administers(region.path):
        raise PermissionDenied(_("You cannot grant roles outside your jurisdiction."))


@transaction.atomic
def create_account(
    *, actor, username: str, password: str, role: str, region: Region, display_name: str = "", person=None
) -> User:
    """Create an account with its first role, inside the actor's subtree."""
    _check_grant(actor, role, region)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken.")})
    user = User(username=username, display_name=display_name, person=person)
    try:
        validate_password(password, user)
    except ValidationError as error:
        # A field error, so that the form and the API point at the password.
        raise ValidationError({"password": error.error_list}) from None
    user.set_password(password)
    user.save()
    RoleAssignment.objects.create(user=user, role=role, region=region)
    if not can_manage(actor, user):
        raise PermissionDenied(_("You cannot create this account."))
    return user


@transaction.atomic
def grant_role(*, actor, user: User, role: str, region: Region) -> RoleAssignment:
    if not can_manage(actor, user):
        raise PermissionDenied(_("You cannot manage this account."))
    _check_grant(actor, role, region)
    assignment, _created = RoleAssignment.objects.get_or_create(user=user, role=role, region=region)
    return assignment


@transaction.atomic
def revoke_role(*, actor, assignment: RoleAssignment) -> None:
    if not can_manage(actor, assignment.user):
        raise PermissionDenied(_("You cannot manage this account."))
    if assignment.user.role_assignments.count() <= 1:
        raise ValidationError(_("An account keeps at least one role; deactivate it instead."))
    assignment.delete()


@transaction.atomic
def set_active(*, actor, user: User, active: bool) -> User:
    if not can_manage(actor, user):
        raise PermissionDenied(_("You cannot manage this account."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def update_profile(*, actor, user: User, display_name: str, email: str) -> User:
    if not can_manage(actor, user):
        raise PermissionDenied(_("You cannot manage this account."))
    user.display_name, user.email = display_name, email
    user.save(update_fields=["display_name", "email"])
    return user
