"""The ledger app's REST routes, registered on the project's router by config/urls.py."""

from .views import ActivityViewSet, ReviewViewSet


def register(router) -> None:
    """``/api/activities/`` (entries, their steps, evidence files, month figures) and ``/api/reviews/``."""
    router.register("activities", ActivityViewSet, basename="activity")
    router.register("reviews", ReviewViewSet, basename="review")
