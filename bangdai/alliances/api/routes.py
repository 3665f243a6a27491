"""The alliances app's REST routes, registered on the project's router by config/urls.py."""

from .views import AllianceViewSet, PlanRunViewSet


def register(router) -> None:
    """Alliances (``/api/alliances/``) and the planner's proposals (``/api/alliance-plans/``)."""
    router.register("alliances", AllianceViewSet, basename="alliance")
    router.register("alliance-plans", PlanRunViewSet, basename="alliance-plan")
