from django.urls import path

from . import views

app_name = "pairings"

urlpatterns = [
    path("", views.PairingListView.as_view(), name="list"),
    path("new/", views.ProposeView.as_view(), name="propose"),
    path("workspace/", views.WorkspaceView.as_view(), name="workspace"),
    path("conflicts/<int:apprentice_pk>/", views.ConflictView.as_view(), name="declare_conflict"),
    path("<int:pk>/", views.PairingDetailView.as_view(), name="detail"),
    path("<int:pk>/<str:action>/", views.PairingActionView.as_view(), name="action"),
]
