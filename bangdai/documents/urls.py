from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("pairings/<int:pk>/pledge.pdf", views.PledgeLetterView.as_view(), name="pledge"),
    path("mentors/<int:pk>/certificate.pdf", views.CertificateView.as_view(), name="certificate"),
    path(
        "programmes/<int:pk>/certificates.pdf",
        views.ProgrammeCertificatesView.as_view(),
        name="programme_certificates",
    ),
]
