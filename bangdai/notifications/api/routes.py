"""The notifications app's REST routes, registered on the project's router by config/urls.py."""

from .views import NotificationViewSet


def register(router) -> None:
    """``/api/notifications/`` (the caller's own; read, read-all, unread-count, preferences)."""
    router.register("notifications", NotificationViewSet, basename="notification")
