"""What a signed-in user governs: the single source every scoped queryset and rule reads."""

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Q

from bangdai.regions.models import subtree_bounds, subtree_q

from .choices import EDITING_ROLES, GOVERNING_ROLES, Role


@dataclass(frozen=True)
class Grant:
    role: str
    region_id: int
    path: str

    def covers(self, path: str) -> bool:
        low, high = subtree_bounds(self.path)
        return low <= path < high


@dataclass(frozen=True)
class Scope:
    """The role grants of one user, loaded once per request."""

    grants: tuple[Grant, ...] = ()
    person_id: int | None = None
    superuser: bool = False
    roles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_user(cls, user) -> "Scope":
        if not user.is_authenticated or not user.is_active:
            return cls()
        rows = user.role_assignments.select_related("region").only("role", "region__id", "region__path")
        grants = tuple(
            sorted({Grant(a.role, a.region_id, a.region.path) for a in rows}, key=lambda g: g.path)
        )
        return cls(
            grants=grants,
            person_id=user.person_id,
            superuser=user.is_superuser,
            roles=frozenset(g.role for g in grants),
        )

    def has_role(self, *roles: str) -> bool:
        return self.superuser or bool(self.roles.intersection(roles))

    def paths(self, roles=None) -> list[str]:
        """Root paths of the governed subtrees, with nested ones dropped."""
        roots: list[str] = []
        for grant in self.grants:
            if roles is not None and grant.role not in roles:
                continue
            if not any(grant.path.startswith(root) for root in roots):
                roots.append(grant.path)
        return roots

    def _q(self, roots: list[str], field: str) -> Q:
        if self.superuser:
            return Q()
        if not roots:
            return Q(pk__in=[])
        return reduce(or_, (subtree_q(root, field) for root in roots))

    def regions_q(self, field: str = "path") -> Q:
        """Every subtree the user holds any role in."""
        return self._q(self.paths(), field)

    def governed_q(self, field: str = "path", roles=GOVERNING_ROLES) -> Q:
        """Subtrees the user governs through the given roles."""
        return self._q(self.paths(roles), field)

    def governs(self, path: str, roles=GOVERNING_ROLES) -> bool:
        if self.superuser:
            return True
        return any(g.role in roles and g.covers(path) for g in self.grants)

    def edits(self, path: str) -> bool:
        return self.governs(path, EDITING_ROLES)

    def administers(self, path: str) -> bool:
        return self.governs(path, {Role.ORG_ADMIN})

    @property
    def home_region_id(self) -> int | None:
        """The widest region the user holds a role at: the default current region."""
        if not self.grants:
            return None
        return min(self.grants, key=lambda g: (len(g.path), g.path)).region_id
