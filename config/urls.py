"""URL map: pages, the REST API under /api/, and its schema and docs (behind login)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from bangdai.accounts.api.views import MeView, UserViewSet
from bangdai.accounts.urls import auth_urlpatterns
from bangdai.dashboard.views import HomeView
from bangdai.people.api.views import PersonViewSet
from bangdai.regions.api.views import RegionViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("regions", RegionViewSet, basename="region")
router.register("cadres", PersonViewSet, basename="cadre")
router.register("users", UserViewSet, basename="user")

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
    path("api/", include((api_urlpatterns, "api"))),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
