from django.urls import path

from . import views

app_name = "growth"

urlpatterns = [
    path("apprentices/<int:pk>/", views.GrowthFileView.as_view(), name="detail"),
    path("apprentices/<int:pk>/file.pdf", views.GrowthPdfView.as_view(), name="pdf"),
]
