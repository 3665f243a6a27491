from django.urls import path

from . import views

app_name = "rosters"

urlpatterns = [
    path("", views.RosterHomeView.as_view(), name="index"),
    path("<int:pk>/", views.RosterDetailView.as_view(), name="detail"),
    path("<int:pk>/import/", views.RosterCommitView.as_view(), name="commit"),
    path("<int:pk>/report.xlsx", views.RosterReportView.as_view(), name="report"),
    path("template/<str:kind>.xlsx", views.RosterTemplateView.as_view(), name="template"),
]
