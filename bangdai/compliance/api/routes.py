"""The compliance app's REST routes, registered on the project's router by config/urls.py."""

from .views import PairingComplianceViewSet, RegionComplianceViewSet


def register(router) -> None:
    """``/api/compliance/pairings/`` (per pairing) and ``/api/compliance/regions/{code}/`` (+ silent/, trends/)."""
    router.register("compliance/pairings", PairingComplianceViewSet, basename="compliance-pairing")
    router.register("compliance/regions", RegionComplianceViewSet, basename="compliance-region")
