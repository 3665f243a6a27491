"""API permissions: reads need a login (the queryset does the scoping); writes need a role that may write."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from bangdai.accounts.choices import EDITING_ROLES

# A marker for actions a cadre takes on their own records (confirming a pairing, a self-nomination).
OWN_RECORDS = "own_records"


class WriteRoles(BasePermission):
    """Refuses a write (403) before any validation unless the caller holds one of the action's roles.

    The view's ``write_roles`` maps action names to role sets (``OWN_RECORDS`` in a set also admits any account
    linked to a cadre); other actions need an editing role. The service still checks the object's region.
    """

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        roles = getattr(view, "write_roles", {}).get(view.action, EDITING_ROLES)
        scope = request.user.scope
        if OWN_RECORDS in roles and scope.person_id:
            return True
        return scope.has_role(*(r for r in roles if r != OWN_RECORDS))
