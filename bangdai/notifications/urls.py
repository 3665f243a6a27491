from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.InboxView.as_view(), name="list"),
    path("bell/", views.BellView.as_view(), name="bell"),
    path("read-all/", views.ReadAllView.as_view(), name="read_all"),
    path("preferences/", views.PreferencesView.as_view(), name="preferences"),
    path("<int:pk>/open/", views.OpenView.as_view(), name="open"),
]
