"""API permissions: reads need a login (the queryset does the scoping); writes need a role that may write."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from bangdai.accounts.choices import EDITING_ROLES

# A marker for actions a cadre takes on their own records (confirming a pairing, a self-nomination).
OWN_RECORDS = "own_records"


class WriteRoles(BasePermission):
    """Refuses a write (403) before any validation unless the caller holds one of the action's roles.

    The view's ``write_roles`` maps action names to role sets (``OWN_RECORDS`` in a set also admits any account
    linked to a cadre); other actions need an editing role. The service still checks the object's region.

    On a record's own URL (``/api/mentors/7/transition/``) the role is checked once the scoped lookup has found
    the record (``has_object_permission``, called by ``get_object()`` before any validation), so a record
    outside the caller's scope is a 404 whatever the caller's roles, as everywhere else.
    """

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        if view.kwargs.get(getattr(view, "lookup_url_kwarg", None) or view.lookup_field) is not None:
            return True  # decided by has_object_permission, after the 404 of an out-of-scope record
        return self._holds_role(request, view)

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        return self._holds_role(request, view)

    def _holds_role(self, request, view) -> bool:
        roles = getattr(view, "write_roles", {}).get(view.action, EDITING_ROLES)
        scope = request.user.scope
        if OWN_RECORDS in roles and scope.person_id:
            return True
        return scope.has_role(*(r for r in roles if r != OWN_RECORDS))
