from django.urls import path

from . import views

app_name = "assignments"

urlpatterns = [
    path("", views.AssignmentListView.as_view(), name="list"),
    path("new/", views.IssueView.as_view(), name="create"),
    path("<int:pk>/", views.AssignmentDetailView.as_view(), name="detail"),
    path("<int:pk>/files/<int:file_pk>/", views.SubmissionFileView.as_view(), name="file"),
    path("<int:pk>/<str:action>/", views.AssignmentActionView.as_view(), name="action"),
]
