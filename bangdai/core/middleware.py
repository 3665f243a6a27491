"""Request-level wiring: the current region of the region switcher."""

from django.utils.functional import SimpleLazyObject


def _current_region(request):
    from bangdai.regions.models import Region

    user = request.user
    if not user.is_authenticated:
        return None
    visible = Region.objects.visible_to(user)
    region_id = request.session.get("region_id")
    if region_id:
        region = visible.filter(pk=region_id).first()
        if region:
            return region
    home = user.scope.home_region_id
    if home:
        return Region.objects.filter(pk=home).first()
    return Region.objects.filter(depth=1).order_by("path").first() if user.is_superuser else None


class CurrentRegionMiddleware:
    """Sets ``request.region``: the region the user is looking at (lazy; most API calls never touch it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.region = SimpleLazyObject(lambda: _current_region(request))
        return self.get_response(request)
