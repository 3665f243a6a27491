from django.urls import path

from . import views

app_name = "alliances"

urlpatterns = [
    path("", views.AllianceListView.as_view(), name="list"),
    path("new/", views.AllianceCreateView.as_view(), name="create"),
    path("<int:pk>/", views.AllianceDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.AllianceEditView.as_view(), name="edit"),
    path("<int:pk>/activities/new/", views.ActivityCreateView.as_view(), name="activity_new"),
    path("<int:pk>/<str:action>/", views.AllianceActionView.as_view(), name="action"),
    path("evidence/<int:pk>/", views.EvidenceView.as_view(), name="evidence"),
    path("plans/", views.PlanListView.as_view(), name="plans"),
    path("plans/new/", views.PlanStartView.as_view(), name="plan_new"),
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan_detail"),
    path("plans/<int:pk>/edit/", views.PlanEditView.as_view(), name="plan_edit"),
    path("plans/<int:pk>/adopt/", views.PlanAdoptView.as_view(), name="plan_adopt"),
    path("plans/<int:pk>/discard/", views.PlanDiscardView.as_view(), name="plan_discard"),
]
