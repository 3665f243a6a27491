"""Template context shared by every page: the navigation and the current region's breadcrumb."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bangdai.accounts.choices import GOVERNING_ROLES, PERSONAL_ROLES

# (URL name, label, Tabler icon, section): the sections of the jurisdiction's offices.
GOVERNING_ITEMS = [
    ("programmes:list", _("Programmes"), "ti-flag", "programmes"),
    ("mentors:list", _("Mentor pool"), "ti-school", "mentors"),
    ("apprentices:list", _("Apprentices"), "ti-user-star", "apprentices"),
    ("pairings:list", _("Pairings"), "ti-link", "pairings"),
    ("matching:index", _("Matching"), "ti-route", "matching"),
    ("ledger:list", _("Activity ledger"), "ti-notebook", "ledger"),
    ("plans:list", _("Mentoring plans"), "ti-clipboard-list", "plans"),
    ("assignments:list", _("Assignments"), "ti-pencil", "assignments"),
    ("compliance:region", _("Compliance and trends"), "ti-traffic-lights", "compliance"),
    ("teaching:classes", _("Open classes"), "ti-presentation", "teaching"),
    ("alliances:list", _("Alliances"), "ti-affiliate", "alliances"),
]
# The sections of a mentor or an apprentice (a cadre with an account).
PERSONAL_ITEMS = [
    ("pairings:workspace", _("My mentoring"), "ti-heart-handshake", "workspace"),
    ("ledger:to_confirm", _("My ledger"), "ti-notebook", "ledger-mine"),
    ("teaching:mine", _("My open classes"), "ti-presentation", "teaching-mine"),
]
# Lists a cadre reaches from the personal sections when no office role shows them already.
PERSONAL_LISTS = [
    ("plans:list", _("Mentoring plans"), "ti-clipboard-list", "plans"),
    ("assignments:list", _("Assignments"), "ti-pencil", "assignments"),
]
# Views whose section is a personal one although their namespace is an office's.
PERSONAL_VIEWS = {
    "pairings:workspace": "workspace",
    "ledger:to_confirm": "ledger-mine",
    "ledger:record": "ledger-mine",
    "teaching:mine": "teaching-mine",
}


def _items(entries) -> list[dict]:
    return [
        {"url": reverse(url), "label": label, "icon": icon, "name": name}
        for url, label, icon, name in entries
    ]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = user.scope
    entries = [
        ("home", _("Overview"), "ti-layout-dashboard", "home"),
        ("regions:browse", _("Jurisdictions"), "ti-map-2", "regions"),
        ("people:list", _("Cadres"), "ti-users", "people"),
    ]
    governing = scope.has_role(*GOVERNING_ROLES)
    if governing:
        entries += GOVERNING_ITEMS
    if user.person_id or scope.has_role(*PERSONAL_ROLES):
        entries += PERSONAL_ITEMS + ([] if governing else PERSONAL_LISTS)
    if scope.has_role("org_admin"):
        entries.append(("accounts:list", _("Accounts"), "ti-user-shield", "accounts"))
    items = _items(entries) + [{"url": "/api/docs/", "label": _("API"), "icon": "ti-api", "name": "api"}]
    region = request.region
    lineage = region.lineage() if region else []
    match = request.resolver_match
    section = (match.namespace or match.url_name) if match else ""
    if match and match.view_name in PERSONAL_VIEWS:
        section = PERSONAL_VIEWS[match.view_name]
    return {"nav_items": items, "nav_section": section, "region_lineage": lineage}
