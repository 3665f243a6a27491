"""The scoping chokepoint for region-bound records: one ``visible_to`` that every such queryset shares."""

from django.db import models
from django.db.models import Q


class GovernedQuerySet(models.QuerySet):
    """Records whose region lies in a subtree the user governs, plus the signed-in cadre's own records.

    ``region_field`` names the record's region; ``own_field`` the cadre (person) whose own record it is, or None
    when a personal role sees none of these records.
    """

    region_field = "region"
    own_field: str | None = "person_id"

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        scope = user.scope
        if scope.superuser:
            return self
        q = scope.governed_q(f"{self.region_field}__path")
        if self.own_field and scope.person_id:
            q |= Q(**{self.own_field: scope.person_id})
        return self.filter(q)
