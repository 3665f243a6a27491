"""Reads of cadre records used by other apps' forms: the cadres a user may enter into a programme."""

from bangdai.accounts.choices import EDITING_ROLES

from .models import Person


def editable_people(user):
    """Cadres employed where the user may change records (organisation departments and township committees)."""
    return Person.objects.visible_to(user).filter(user.scope.governed_q("region__path", roles=EDITING_ROLES))


def search(user, term: str, limit: int = 30) -> list[Person]:
    qs = editable_people(user).select_related("region")
    term = term.strip()
    if term:
        qs = qs.filter(name__contains=term)
    return list(qs.order_by("name", "pk")[:limit])
