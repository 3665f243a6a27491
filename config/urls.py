"""URL map: pages, the REST API under /api/, and its schema and docs (behind login)."""

from importlib import import_module

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from bangdai.accounts.api.views import MeView, UserViewSet
from bangdai.accounts.urls import auth_urlpatterns
from bangdai.apprentices.api.views import ApprenticeViewSet
from bangdai.dashboard.views import HomeView
from bangdai.jobs.api.views import JobViewSet
from bangdai.matching.api.views import MatchRunViewSet
from bangdai.mentors.api.views import MentorViewSet
from bangdai.pairings.api.views import ConflictViewSet, PairingViewSet
from bangdai.people.api.views import PersonViewSet
from bangdai.programmes.api.views import ProgrammeViewSet
from bangdai.regions.api.views import RegionViewSet
from bangdai.rosters.api.views import RosterViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("regions", RegionViewSet, basename="region")
router.register("cadres", PersonViewSet, basename="cadre")
router.register("users", UserViewSet, basename="user")
router.register("programmes", ProgrammeViewSet, basename="programme")
router.register("mentors", MentorViewSet, basename="mentor")
router.register("apprentices", ApprenticeViewSet, basename="apprentice")
router.register("pairings", PairingViewSet, basename="pairing")
router.register("conflicts", ConflictViewSet, basename="conflict")
router.register("rosters", RosterViewSet, basename="roster")
router.register("jobs", JobViewSet, basename="job")
router.register("match-runs", MatchRunViewSet, basename="match-run")

# Apps of mentoring in practice register their own routes.
PRACTICE_APPS = (
    "plans",
    "ledger",
    "assignments",
    "teaching",
    "alliances",
    "compliance",
    "notifications",
    "growth",
)
for _app in PRACTICE_APPS:
    import_module(f"bangdai.{_app}.api.routes").register(router)

api_urlpatterns = [
    path("auth/token/", obtain_auth_token, name="token"),
    path("me/", MeView.as_view(), name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("", include(auth_urlpatterns)),
    path("i18n/setlang/", set_language, name="set_language"),
    path("regions/", include("bangdai.regions.urls")),
    path("cadres/", include("bangdai.people.urls")),
    path("accounts/", include("bangdai.accounts.urls")),
    path("programmes/", include("bangdai.programmes.urls")),
    path("mentors/", include("bangdai.mentors.urls")),
    path("apprentices/", include("bangdai.apprentices.urls")),
    path("pairings/", include("bangdai.pairings.urls")),
    path("documents/", include("bangdai.documents.urls")),
    path("rosters/", include("bangdai.rosters.urls")),
    path("jobs/", include("bangdai.jobs.urls")),
    path("matching/", include("bangdai.matching.urls")),
    path("plans/", include("bangdai.plans.urls")),
    path("ledger/", include("bangdai.ledger.urls")),
    path("assignments/", include("bangdai.assignments.urls")),
    path("teaching/", include("bangdai.teaching.urls")),
    path("alliances/", include("bangdai.alliances.urls")),
    path("compliance/", include("bangdai.compliance.urls")),
    path("notifications/", include("bangdai.notifications.urls")),
    path("growth/", include("bangdai.growth.urls")),
    path("api/", include((api_urlpatterns, "api"))),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
