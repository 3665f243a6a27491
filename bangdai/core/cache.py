"""Generation counters in the shared cache: bump one after a write and every cached read keyed on it expires."""

from django.core.cache import cache
from django.db import transaction

# Counts per region shown on the overview and region pages; bumped by every write to cadres or regions.
REGION_COUNTS = "region-counts"


def generation(name: str) -> int:
    value = cache.get(f"gen:{name}")
    if value is None:
        cache.add(f"gen:{name}", 1, timeout=None)
        value = cache.get(f"gen:{name}", 1)
    return value


def bump(name: str) -> None:
    """Invalidate every entry keyed on this generation once the current transaction commits."""

    def _bump():
        try:
            cache.incr(f"gen:{name}")
        except ValueError:
            cache.set(f"gen:{name}", 2, timeout=None)

    transaction.on_commit(_bump)
