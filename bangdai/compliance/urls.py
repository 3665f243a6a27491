from django.urls import path

from . import views

app_name = "compliance"

urlpatterns = [
    path("", views.BehindView.as_view(), name="region"),
    path("silent/", views.SilentView.as_view(), name="silent"),
    path("trends/", views.TrendsView.as_view(), name="trends"),
    path("pairing/<int:pk>/", views.PairingComplianceView.as_view(), name="pairing"),
]
