"""Object permissions on accounts."""

import rules

from .choices import Role
from .services import can_manage


@rules.predicate
def manages_account(user, target) -> bool:
    if target is None:
        return user.scope.has_role(Role.ORG_ADMIN)
    return can_manage(user, target)


rules.add_perm("accounts.add_user", rules.is_authenticated & manages_account)
rules.add_perm("accounts.change_user", rules.is_authenticated & manages_account)
