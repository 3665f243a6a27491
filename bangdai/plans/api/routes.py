"""The plans app's REST routes, registered on the project's router by config/urls.py."""


def register(router) -> None:
    """Register this app's viewsets on ``router``."""
    from .views import PlanViewSet

    router.register("plans", PlanViewSet, basename="plan")
