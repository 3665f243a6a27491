"""Template context shared by every page: the navigation and the current region's breadcrumb."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = user.scope
    items = [
        {"url": reverse("home"), "label": _("Overview"), "icon": "ti-layout-dashboard", "name": "home"},
        {
            "url": reverse("regions:browse"),
            "label": _("Jurisdictions"),
            "icon": "ti-map-2",
            "name": "regions",
        },
        {"url": reverse("people:list"), "label": _("Cadres"), "icon": "ti-users", "name": "people"},
    ]
    if scope.has_role("org_admin"):
        items.append(
            {
                "url": reverse("accounts:list"),
                "label": _("Accounts"),
                "icon": "ti-user-shield",
                "name": "accounts",
            }
        )
    items.append({"url": "/api/docs/", "label": _("API"), "icon": "ti-api", "name": "api"})
    region = request.region
    lineage = region.lineage() if region else []
    section = (
        request.resolver_match.namespace or request.resolver_match.url_name if request.resolver_match else ""
    )
    return {"nav_items": items, "nav_section": section, "region_lineage": lineage}
