from django.urls import path

from . import views

app_name = "apprentices"

urlpatterns = [
    path("", views.ApprenticeListView.as_view(), name="list"),
    path("new/", views.ApprenticeCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ApprenticeDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ApprenticeUpdateView.as_view(), name="edit"),
]
