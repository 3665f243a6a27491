"""Object permissions on cadre records, as predicates over the user's scope."""

import rules

from bangdai.accounts.choices import Role


@rules.predicate
def edits_person(user, person) -> bool:
    if person is None:
        return user.scope.has_role(Role.ORG_ADMIN, Role.TOWNSHIP)
    return user.scope.edits(person.region.path)


@rules.predicate
def administers_person(user, person) -> bool:
    if person is None:
        return user.scope.has_role(Role.ORG_ADMIN)
    return user.scope.administers(person.region.path)


rules.add_perm("people.add_person", rules.is_authenticated & edits_person)
rules.add_perm("people.change_person", rules.is_authenticated & edits_person)
# Only organisation departments see ID numbers and phones in full; each reveal is recorded.
rules.add_perm("people.reveal_person", rules.is_authenticated & administers_person)
