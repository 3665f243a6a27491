"""The rules each pairing runs under: its programme's rules at the version the pairing was made under.

A pairing records ``rules_version`` so that a later change of the programme's rules never rewrites its past.
Deadlines counted in days from a date on the pairing (the plan's, a review's) differ per rules version, so a
query over many pairings groups them by the value of the rule: one range condition per distinct value.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import reduce
from operator import or_

from django.db.models import Q

from .models import ProgrammeRules
from .policy import Policy

Key = tuple[int, int]  # (programme id, rules version)


def policies(keys: Iterable[Key]) -> dict[Key, Policy]:
    """The policy of each (programme id, rules version), in one query; a version without rules gets the defaults."""
    keys = set(keys)
    if not keys:
        return {}
    rows = ProgrammeRules.objects.filter(programme_id__in={p for p, _v in keys}).only(
        "programme_id", "version", "data"
    )
    found = {(r.programme_id, r.version): r.policy for r in rows if (r.programme_id, r.version) in keys}
    return {key: found.get(key) or Policy() for key in keys}


def policy_of(pairing) -> Policy:
    """The rules one pairing runs under."""
    key = (pairing.programme_id, pairing.rules_version)
    return policies([key])[key]


class PolicyBook:
    """The policies of many pairings, loaded in one query: ``book[pairing].plan_due_days``."""

    def __init__(self, pairings: Iterable):
        self._policies = policies((p.programme_id, p.rules_version) for p in pairings)

    def __getitem__(self, pairing) -> Policy:
        key = (pairing.programme_id, pairing.rules_version)
        if key not in self._policies:
            self._policies[key] = policy_of(pairing)
        return self._policies[key]


def days_after(start: dt.date | None, days: int) -> dt.date | None:
    return None if start is None else start + dt.timedelta(days=days)


def older_than_rule(
    queryset, rule: str, date_field: str, today: dt.date, *, pairing: str = "", bound: Callable | None = None
) -> Q:
    """A condition: ``date_field`` lies more than the pairing's ``rule`` days before ``today``.

    ``queryset`` is the set the condition will filter (its pairings' rule versions are read in one query);
    ``pairing`` is the path from its model to the pairing (``"pairing__"`` for records hanging off one, ``""``
    for pairings). ``bound`` turns the cut-off date into the value compared with ``date_field`` (for a
    DateTimeField, the start of that day); by default the date itself.
    """
    keys = queryset.order_by().values_list(f"{pairing}programme_id", f"{pairing}rules_version").distinct()
    by_days: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for key, policy in policies(keys).items():
        by_days[int(getattr(policy, rule))][key[0]].append(key[1])
    bound = bound or (lambda day: day)
    conditions = []
    for days, programmes in by_days.items():
        rules = reduce(
            or_,
            (
                Q(**{f"{pairing}programme_id": programme, f"{pairing}rules_version__in": versions})
                for programme, versions in programmes.items()
            ),
        )
        conditions.append(Q(**{f"{date_field}__lt": bound(today - dt.timedelta(days=days))}) & rules)
    return reduce(or_, conditions, Q(pk__in=[]))
