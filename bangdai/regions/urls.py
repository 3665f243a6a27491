from django.urls import path

from . import views

app_name = "regions"

urlpatterns = [
    path("", views.RegionDetailView.as_view(), name="browse"),
    path("switch/", views.switch_region, name="switch"),
    path("lookup/", views.lookup, name="lookup"),
    path("<str:code>/", views.RegionDetailView.as_view(), name="detail"),
]
