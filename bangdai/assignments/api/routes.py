"""The assignments app's REST routes, registered on the project's router by config/urls.py."""


def register(router) -> None:
    """Register this app's viewsets on ``router``."""
    from .views import AssignmentViewSet

    router.register("assignments", AssignmentViewSet, basename="assignment")
