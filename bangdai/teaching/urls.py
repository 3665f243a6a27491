from django.urls import path

from . import views

app_name = "teaching"

urlpatterns = [
    path("", views.MineView.as_view(), name="mine"),
    path("sites/", views.SiteListView.as_view(), name="sites"),
    path("sites/new/", views.SiteCreateView.as_view(), name="site_create"),
    path("sites/<int:pk>/", views.SiteDetailView.as_view(), name="site_detail"),
    path("sites/<int:pk>/edit/", views.SiteEditView.as_view(), name="site_edit"),
    path("sites/<int:pk>/<str:action>/", views.SiteActionView.as_view(), name="site_action"),
    path("classes/", views.ClassListView.as_view(), name="classes"),
    path("classes/new/", views.ClassCreateView.as_view(), name="class_create"),
    path("classes/<int:pk>/", views.ClassDetailView.as_view(), name="class_detail"),
    path("classes/<int:pk>/edit/", views.ClassEditView.as_view(), name="class_edit"),
    path("classes/<int:pk>/enrol-others/", views.EnrolOthersView.as_view(), name="class_enrol_others"),
    path("classes/<int:pk>/checklist/", views.ChecklistView.as_view(), name="class_checklist"),
    path("classes/<int:pk>/qr.svg", views.QRView.as_view(), name="class_qr"),
    path("classes/<int:pk>/materials/", views.MaterialAddView.as_view(), name="material_add"),
    path("classes/<int:pk>/<str:action>/", views.ClassActionView.as_view(), name="class_action"),
    path("materials/<int:pk>/", views.MaterialView.as_view(), name="material"),
    path("materials/<int:pk>/remove/", views.MaterialRemoveView.as_view(), name="material_remove"),
    path("checkin/<str:token>/", views.CheckInView.as_view(), name="checkin"),
    path("assign/", views.AssignView.as_view(), name="assign"),
    path("assignments/<int:pk>/", views.AssignmentDetailView.as_view(), name="assignment_detail"),
    path(
        "assignments/<int:pk>/<str:action>/", views.AssignmentActionView.as_view(), name="assignment_action"
    ),
]
