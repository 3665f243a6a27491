"""Who may do what with teaching sites and open classes, as predicates over the user's scope.

- Organisation departments register, change, close and reopen the teaching sites of their region; a site's
  level is at most the department's own (a county designates county sites, a city municipal or county ones).
- A class is managed (changed, cancelled, materials, the check list) by its mentor and by the township
  committees and organisation departments over its village; the latter also enrol apprentices of their choice
  and seat them by the matching engine.
- Auditors only read.
"""

from bangdai.accounts.choices import EDITING_ROLES, Role
from bangdai.regions.models import PATH_STEP

from .choices import LEVEL_DEPTH, SiteLevel


def manages_site(user, village) -> bool:
    return user.scope.administers(village.path)


def site_levels(user, village) -> list[str]:
    """The levels of site the user may designate in this village: those of the departments they belong to."""
    return [
        level
        for level in SiteLevel.values
        if user.scope.administers(village.path[: LEVEL_DEPTH[level] * PATH_STEP])
    ]


SITE_REGISTRARS = frozenset({Role.ORG_ADMIN})


def may_register_sites(user) -> bool:
    return user.scope.has_role(*SITE_REGISTRARS)


def is_host(user, open_class) -> bool:
    return bool(user.person_id) and open_class.mentor.person_id == user.person_id


def organises(user, open_class) -> bool:
    """A township committee or organisation department over the class's village."""
    return user.scope.edits(open_class.village.path)


def manages_class(user, open_class) -> bool:
    return is_host(user, open_class) or organises(user, open_class)


def may_schedule(user) -> bool:
    """Appointed mentors schedule their own classes; editors schedule for mentors of their region."""
    from bangdai.mentors.models import Mentor

    if user.scope.has_role(*EDITING_ROLES):
        return True
    return bool(user.person_id) and Mentor.objects.filter(person_id=user.person_id, status="active").exists()


def may_assign(user) -> bool:
    return user.scope.has_role(*EDITING_ROLES)
