"""The teaching app's REST routes, registered on the project's router by config/urls.py."""

from .views import ClassAssignmentViewSet, OpenClassViewSet, TeachingSiteViewSet


def register(router) -> None:
    """Register this app's viewsets on ``router``."""
    router.register("teaching-sites", TeachingSiteViewSet, basename="teaching-site")
    router.register("open-classes", OpenClassViewSet, basename="open-class")
    router.register("open-class-assignments", ClassAssignmentViewSet, basename="open-class-assignment")
