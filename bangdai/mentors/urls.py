from django.urls import path

from . import views

app_name = "mentors"

urlpatterns = [
    path("", views.MentorListView.as_view(), name="list"),
    path("nominate/", views.NominateView.as_view(), name="nominate"),
    path("apply/", views.SelfNominateView.as_view(), name="self_nominate"),
    path("<int:pk>/", views.MentorDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.MentorUpdateView.as_view(), name="edit"),
    path("<int:pk>/step/<str:action>/", views.MentorTransitionView.as_view(), name="transition"),
    path("<int:pk>/objections/", views.ObjectionCreateView.as_view(), name="record_objection"),
    path(
        "<int:pk>/objections/<int:objection_pk>/resolve/",
        views.ObjectionResolveView.as_view(),
        name="resolve_objection",
    ),
]
