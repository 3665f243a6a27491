"""Counts per child region for the overview and the region pages: a fixed number of grouped queries."""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import Substr

from bangdai.core.cache import REGION_COUNTS, generation
from bangdai.people.models import Person
from bangdai.regions.choices import Kind, Level
from bangdai.regions.models import PATH_STEP, Region


@dataclass
class RegionCounts:
    region: Region
    townships: int = 0
    villages: int = 0
    communities: int = 0
    cadres: int = 0


def _grouped(queryset, path_field: str, length: int, **aggregates) -> dict[str, dict]:
    rows = (
        queryset.order_by()
        .annotate(prefix=Substr(path_field, 1, length))
        .values("prefix")
        .annotate(**aggregates)
    )
    return {row.pop("prefix"): row for row in rows}


def child_counts(region: Region, user) -> tuple[RegionCounts, list[RegionCounts]]:
    """The region's totals and one row per current child region, counting only what the user may see."""
    length = len(region.path) + PATH_STEP
    low, high = region.subtree_range
    children = list(
        Region.objects.visible_to(user)
        .filter(path__gt=low, path__lt=high, depth=region.depth + 1)
        .current()
        .order_by("path")
    )
    units = _grouped(
        Region.objects.current().filter(path__gt=low, path__lt=high, depth__gte=Level.TOWNSHIP),
        "path",
        length,
        townships=Count("pk", filter=Q(depth=Level.TOWNSHIP)),
        villages=Count("pk", filter=Q(depth=Level.VILLAGE, kind=Kind.VILLAGE)),
        communities=Count("pk", filter=Q(depth=Level.VILLAGE, kind=Kind.COMMUNITY)),
    )
    cadres = _grouped(
        Person.objects.visible_to(user).filter(region__path__gte=low, region__path__lt=high),
        "region__path",
        length,
        n=Count("pk"),
    )
    rows = []
    total = RegionCounts(region=region)
    for child in children:
        row = RegionCounts(
            region=child, cadres=cadres.get(child.path, {}).get("n", 0), **units.get(child.path, {})
        )
        rows.append(row)
    for values in units.values():
        total.townships += values["townships"]
        total.villages += values["villages"]
        total.communities += values["communities"]
    total.cadres = sum(v["n"] for v in cadres.values())
    return total, rows


COUNTS_TIMEOUT = 15 * 60


def cached_child_counts(region: Region, user) -> tuple[RegionCounts, list[RegionCounts]]:
    """``child_counts`` through the shared cache, keyed on the user's scope and the data generation.

    Every write to cadres or regions bumps the generation, so all app processes see fresh counts at once.
    """
    scope = user.scope
    fingerprint = hashlib.sha256(
        repr((scope.superuser, scope.person_id, [(g.role, g.path) for g in scope.grants])).encode()
    ).hexdigest()[:16]
    key = f"counts:{generation(REGION_COUNTS)}:{region.pk}:{fingerprint}"
    result = cache.get(key)
    if result is None:
        result = child_counts(region, user)
        cache.set(key, result, COUNTS_TIMEOUT)
    return result
