from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("", views.LedgerListView.as_view(), name="list"),
    path("mine/", views.ToConfirmView.as_view(), name="to_confirm"),
    path("record/", views.RecordView.as_view(), name="record"),
    path("pairing/<int:pk>/", views.PairingLedgerView.as_view(), name="pairing"),
    path("pairing/<int:pk>/review/", views.ReviewCreateView.as_view(), name="review_create"),
    path("review/<int:pk>/", views.ReviewDetailView.as_view(), name="review"),
    path("evidence/<int:pk>/", views.EvidenceView.as_view(), name="evidence"),
    path("evidence/<int:pk>/thumbnail/", views.EvidenceView.as_view(thumbnail=True), name="thumbnail"),
    path("<int:pk>/", views.ActivityDetailView.as_view(), name="detail"),
    path("<int:pk>/correct/", views.CorrectView.as_view(), name="correct"),
    path("<int:pk>/<str:action>/", views.ActivityActionView.as_view(), name="action"),
]
