from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("", views.PlanListView.as_view(), name="list"),
    path("pairing/<int:pairing_pk>/", views.PairingPlanView.as_view(), name="pairing"),
    path("<int:pk>/", views.PlanDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.PlanEditView.as_view(), name="edit"),
    path("<int:pk>/revisions/<int:number>/", views.RevisionView.as_view(), name="revision"),
    path("<int:pk>/goals/<int:goal_pk>/<str:action>/", views.GoalMetView.as_view(), name="goal"),
    path("<int:pk>/<str:action>/", views.PlanActionView.as_view(), name="action"),
]
