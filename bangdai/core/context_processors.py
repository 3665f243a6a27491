"""Template context shared by every page: the navigation and the current region's breadcrumb."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bangdai.accounts.choices import GOVERNING_ROLES, PERSONAL_ROLES


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
    if scope.has_role(*GOVERNING_ROLES):
        items += [
            {
                "url": reverse("programmes:list"),
                "label": _("Programmes"),
                "icon": "ti-flag",
                "name": "programmes",
            },
            {
                "url": reverse("mentors:list"),
                "label": _("Mentor pool"),
                "icon": "ti-school",
                "name": "mentors",
            },
            {
                "url": reverse("apprentices:list"),
                "label": _("Apprentices"),
                "icon": "ti-user-star",
                "name": "apprentices",
            },
            {"url": reverse("pairings:list"), "label": _("Pairings"), "icon": "ti-link", "name": "pairings"},
        ]
    if user.person_id or scope.has_role(*PERSONAL_ROLES):
        items.append(
            {
                "url": reverse("pairings:workspace"),
                "label": _("My mentoring"),
                "icon": "ti-heart-handshake",
                "name": "workspace",
            }
        )
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
    match = request.resolver_match
    section = (match.namespace or match.url_name) if match else ""
    if match and match.view_name == "pairings:workspace":
        section = "workspace"
    return {"nav_items": items, "nav_section": section, "region_lineage": lineage}
