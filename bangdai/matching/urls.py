from django.urls import path

from . import views

app_name = "matching"

urlpatterns = [
    path("", views.RunListView.as_view(), name="index"),
    path("new/", views.StartView.as_view(), name="start"),
    path("<int:pk>/", views.RunDetailView.as_view(), name="detail"),
    path("<int:pk>/adjust/", views.AdjustView.as_view(), name="adjust"),
    path("<int:pk>/swap/", views.SwapView.as_view(), name="swap"),
    path("<int:pk>/accept/", views.AcceptView.as_view(), name="accept"),
    path("<int:pk>/discard/", views.DiscardView.as_view(), name="discard"),
    path("<int:pk>/compare/", views.CompareView.as_view(), name="compare"),
]
