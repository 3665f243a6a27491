"""The growth app's REST routes, registered on the project's router by config/urls.py."""

from .views import GrowthFileViewSet


def register(router) -> None:
    """``/api/growth/{apprentice id}/`` (the file as JSON) and ``/api/growth/{apprentice id}/pdf/``."""
    router.register("growth", GrowthFileViewSet, basename="growth")
