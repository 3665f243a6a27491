"""REST API of teaching sites, open classes (scheduling, enrolment, check-in, the check list, materials,
counts per mentor) and class assignments by the matching engine."""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_serializers import ValidationErrorResponseSerializer
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from bangdai.accounts.choices import EDITING_ROLES, Role
from bangdai.core.api.permissions import OWN_RECORDS, WriteRoles
from bangdai.core.api.viewsets import ScopedModelViewSet
from bangdai.core.choices import ContentArea
from bangdai.core.filters import RegionSubtreeFilter
from bangdai.core.views import stored_file_response
from bangdai.mentors.models import Mentor

from .. import rules, selectors, services
from ..choices import ClassStatus, EnrolmentStatus, SiteLevel, SiteStatus
from ..filtersets import has_area
from ..models import ClassAssignment, Enrolment, OpenClass, TeachingSite
from ..templatetags.teaching import checkin_url, qr_svg
from .serializers import (
    ClassAssignmentDetailSerializer,
    ClassAssignmentProposeSerializer,
    ClassAssignmentSerializer,
    ClassAttendanceSerializer,
    ClassCheckInSerializer,
    ClassCountSerializer,
    ClassEnrolmentSerializer,
    ClassEnrolSerializer,
    ClassMaterialSerializer,
    ClassMaterialUploadSerializer,
    ClassQRSerializer,
    OpenClassPatchSerializer,
    OpenClassSerializer,
    SeatWithdrawSerializer,
    TeachingReasonSerializer,
    TeachingSitePatchSerializer,
    TeachingSiteSerializer,
)

PEOPLE = EDITING_ROLES | {OWN_RECORDS}  # organisers, and cadres acting on their own classes and seats


def _body(view, serializer_class):
    body = serializer_class(data=view.request.data, context=view.get_serializer_context())
    body.is_valid(raise_exception=True)
    return body.validated_data


def _responds(summary, request=None, response=None, code=status.HTTP_200_OK):
    return extend_schema(
        summary=summary, request=request, responses={code: response, 400: ValidationErrorResponseSerializer}
    )


# ---------------------------------------------------------------------------------------------- sites


class SiteFilterSet(django_filters.FilterSet):
    region = RegionSubtreeFilter(label=_("Host village's region (its whole subtree)"), region_field="village")
    theme = django_filters.ChoiceFilter(choices=ContentArea.choices, method="filter_theme")
    level = django_filters.ChoiceFilter(choices=SiteLevel.choices)
    status = django_filters.ChoiceFilter(choices=SiteStatus.choices)

    class Meta:
        model = TeachingSite
        fields = ["region", "theme", "level", "status"]

    def filter_theme(self, queryset, name, value):
        return has_area(queryset, "themes", value)


@extend_schema_view(
    list=extend_schema(summary="Teaching sites the caller governs, hosts, or whose programme reaches them"),
    retrieve=extend_schema(summary="One teaching site"),
    create=_responds(
        "Register a teaching site", TeachingSiteSerializer, TeachingSiteSerializer, status.HTTP_201_CREATED
    ),
    partial_update=_responds("Change a teaching site", TeachingSitePatchSerializer, TeachingSiteSerializer),
)
class TeachingSiteViewSet(ScopedModelViewSet):
    """Teaching sites (现场教学点): villages used as classrooms, registered by organisation departments."""

    permission_classes = [IsAuthenticated, WriteRoles]
    write_roles = {a: {Role.ORG_ADMIN} for a in ("create", "partial_update", "close", "reopen")}
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = TeachingSiteSerializer
    filterset_class = SiteFilterSet
    ordering_fields = ["name", "created_at", "capacity_per_session"]
    ordering = ["village__path", "name", "id"]

    def base_queryset(self):
        return TeachingSite.objects.select_related("village").prefetch_related("host_mentors")

    def get_serializer_class(self):
        return TeachingSitePatchSerializer if self.action == "partial_update" else TeachingSiteSerializer

    def _site_response(self, site, code=status.HTTP_200_OK):
        return Response(
            TeachingSiteSerializer(
                self.base_queryset().get(pk=site.pk), context=self.get_serializer_context()
            ).data,
            status=code,
        )

    def create(self, request, *args, **kwargs):
        site = services.register_site(actor=request.user, **_body(self, TeachingSiteSerializer))
        return self._site_response(site, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        site = self.get_object()
        body = TeachingSitePatchSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        return self._site_response(services.update_site(actor=request.user, site=site, **body.validated_data))

    @_responds(
        "Close a site (its classes to come must be cancelled first)",
        TeachingReasonSerializer,
        TeachingSiteSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def close(self, request, pk=None):
        site = self.get_object()
        return self._site_response(
            services.close_site(actor=request.user, site=site, **_body(self, TeachingReasonSerializer))
        )

    @_responds("Reopen a closed site", None, TeachingSiteSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def reopen(self, request, pk=None):
        return self._site_response(services.reopen_site(actor=request.user, site=self.get_object()))


# ---------------------------------------------------------------------------------------------- classes


class OpenClassFilterSet(django_filters.FilterSet):
    region = RegionSubtreeFilter(label=_("Village's region (its whole subtree)"), region_field="village")
    site = django_filters.NumberFilter(field_name="site_id")
    mentor = django_filters.NumberFilter(field_name="mentor_id")
    status = django_filters.ChoiceFilter(choices=ClassStatus.choices)
    content_area = django_filters.ChoiceFilter(choices=ContentArea.choices, method="filter_area")
    starts_after = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = OpenClass
        fields = ["region", "site", "mentor", "status", "content_area", "starts_after", "starts_before"]

    def filter_area(self, queryset, name, value):
        return has_area(queryset, "content_areas", value)


@extend_schema_view(
    list=extend_schema(
        summary="Open classes the caller governs, gives, is seated in, or whose programme reaches"
    ),
    retrieve=extend_schema(summary="One open class, its materials and the caller's own seat"),
    create=_responds(
        "Schedule an open class", OpenClassSerializer, OpenClassSerializer, status.HTTP_201_CREATED
    ),
    partial_update=_responds(
        "Change a class that has not begun", OpenClassPatchSerializer, OpenClassSerializer
    ),
)
class OpenClassViewSet(ScopedModelViewSet):
    """Open classes (开放型课堂): scheduling, enrolment, QR check-in, the host's check list and materials."""

    permission_classes = [IsAuthenticated, WriteRoles]
    write_roles = {
        **{
            a: PEOPLE
            for a in ("create", "partial_update", "cancel", "enrol", "withdraw", "attendance", "materials")
        },
        "checkin": {OWN_RECORDS},
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = OpenClassSerializer
    filterset_class = OpenClassFilterSet
    ordering_fields = ["starts_at", "created_at", "enrolled_count"]
    ordering = ["-starts_at", "-id"]

    def base_queryset(self):
        person = getattr(self.request.user, "person_id", None)
        seats = Enrolment.objects.filter(person_id=person or 0, status=EnrolmentStatus.ENROLLED)
        return OpenClass.objects.select_related("mentor__person", "site", "village").prefetch_related(
            "materials", Prefetch("enrolments", queryset=seats, to_attr="my_seats")
        )

    def get_serializer_class(self):
        return OpenClassPatchSerializer if self.action == "partial_update" else OpenClassSerializer

    def _class_response(self, open_class, code=status.HTTP_200_OK):
        open_class = self.base_queryset().get(pk=open_class.pk)
        return Response(
            OpenClassSerializer(open_class, context=self.get_serializer_context()).data, status=code
        )

    def _manage(self, open_class) -> None:
        if not rules.manages_class(self.request.user, open_class):
            raise DjangoPermissionDenied(_("Only the class's mentor or its organisers may do this."))

    def create(self, request, *args, **kwargs):
        open_class = services.schedule_class(actor=request.user, **_body(self, OpenClassSerializer))
        return self._class_response(open_class, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        open_class = self.get_object()
        changes = _body(self, OpenClassPatchSerializer)
        return self._class_response(
            services.update_class(actor=request.user, open_class=open_class, **changes)
        )

    @_responds("Cancel a class that has not ended", TeachingReasonSerializer, OpenClassSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        open_class = self.get_object()
        reason = _body(self, TeachingReasonSerializer)["reason"]
        return self._class_response(
            services.cancel_class(actor=request.user, open_class=open_class, reason=reason)
        )

    @_responds(
        "Enrol yourself, or (as an organiser) the apprentices named, all or none",
        ClassEnrolSerializer,
        ClassEnrolmentSerializer(many=True),
        status.HTTP_201_CREATED,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def enrol(self, request, pk=None):
        open_class = self.get_object()
        chosen = _body(self, ClassEnrolSerializer).get("apprentices")
        if chosen:
            enrolled = services.enrol(actor=request.user, open_class=open_class, apprentices=chosen)
        else:
            enrolled = [services.enrol_self(actor=request.user, open_class=open_class)]
        rows = Enrolment.objects.filter(pk__in=[e.pk for e in enrolled]).select_related(
            "person", "apprentice__region"
        )
        return Response(ClassEnrolmentSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)

    @_responds("Give a seat back before the class begins", SeatWithdrawSerializer, ClassEnrolmentSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def withdraw(self, request, pk=None):
        open_class = self.get_object()
        chosen = _body(self, SeatWithdrawSerializer).get("enrolment")
        seats = open_class.enrolments.select_related("person", "apprentice__region").filter(status="enrolled")
        if chosen is not None:
            if not rules.manages_class(request.user, open_class):
                seats = seats.filter(person_id=request.user.person_id or 0)
            enrolment = get_object_or_404(seats, pk=chosen)
        else:
            enrolment = services.own_seat(request.user, open_class)
        return Response(
            ClassEnrolmentSerializer(services.withdraw(actor=request.user, enrolment=enrolment)).data
        )

    @_responds(
        "Check in with the token of the class's QR code", ClassCheckInSerializer, ClassEnrolmentSerializer
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def checkin(self, request, pk=None):
        open_class = self.get_object()
        token = _body(self, ClassCheckInSerializer)["token"]
        enrolment = services.check_in(actor=request.user, open_class=open_class, token=token)
        return Response(
            ClassEnrolmentSerializer(
                Enrolment.objects.select_related("person", "apprentice__region").get(pk=enrolment.pk)
            ).data
        )

    @_responds(
        "Tick an apprentice present on the check list, or take it back",
        ClassAttendanceSerializer,
        ClassEnrolmentSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def attendance(self, request, pk=None):
        open_class = self.get_object()
        self._manage(open_class)
        body = _body(self, ClassAttendanceSerializer)
        enrolment = get_object_or_404(selectors.roster(open_class), pk=body["enrolment"])
        mark = services.mark_present if body["present"] else services.clear_attendance
        mark(actor=request.user, enrolment=enrolment)
        return Response(ClassEnrolmentSerializer(selectors.roster(open_class).get(pk=enrolment.pk)).data)

    @extend_schema(
        summary="The enrolled apprentices and their attendance (mentor and organisers)",
        responses=ClassEnrolmentSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def roster(self, request, pk=None):
        open_class = self.get_object()
        self._manage(open_class)
        return Response(ClassEnrolmentSerializer(selectors.roster(open_class), many=True).data)

    @extend_schema(
        summary="The class's check-in URL and QR code (mentor and organisers)", responses=ClassQRSerializer
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def qr(self, request, pk=None):
        open_class = self.get_object()
        self._manage(open_class)
        url = checkin_url(request, open_class)
        return Response({"url": url, "svg": qr_svg(url, open_class.title)})

    @extend_schema(
        summary="Attach a handout (PDF) or photo; checked and re-encoded before it is stored",
        request={"multipart/form-data": ClassMaterialUploadSerializer},
        responses={201: ClassMaterialSerializer, 400: ValidationErrorResponseSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def materials(self, request, pk=None):
        open_class = self.get_object()
        body = _body(self, ClassMaterialUploadSerializer)
        material = services.add_material(actor=request.user, open_class=open_class, file=body["file"])
        return Response(ClassMaterialSerializer(material).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download one material", responses={(200, "application/octet-stream"): OpenApiTypes.BINARY}
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"materials/(?P<material_id>[0-9]+)",
        url_name="material",
        filterset_class=None,
    )
    def material(self, request, pk=None, material_id=None):
        open_class = self.get_object()
        material = get_object_or_404(open_class.materials, pk=material_id)
        return stored_file_response(
            material.file, content_type=material.content_type, filename=material.name, attachment=True
        )

    @extend_schema(
        summary="Open classes per mentor in a year, with the yearly target of provincial and municipal mentors",
        parameters=[
            OpenApiParameter("year", int, description="Calendar year (this year when left out)"),
            OpenApiParameter("programme", int, description="Mentors of this programme only"),
        ],
        responses=ClassCountSerializer(many=True),
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def counts(self, request):
        try:
            year = int(request.query_params.get("year") or timezone.localdate().year)
        except ValueError:
            year = timezone.localdate().year
        low, high = selectors.year_bounds(year)
        with_classes = OpenClass.objects.filter(mentor=OuterRef("pk"), starts_at__gte=low, starts_at__lt=high)
        mentors = Mentor.objects.visible_to(request.user).filter(
            Q(status="active", tier__in=selectors.TARGET_TIERS) | Q(Exists(with_classes))
        )
        programme = request.query_params.get("programme", "")
        if programme.isdigit():
            mentors = mentors.filter(programme_id=int(programme))
        mentors = list(mentors.select_related("person", "programme").order_by("person__name", "pk"))
        counts = selectors.open_class_counts(year, mentors)
        rows = [
            {**vars(counts[m.pk]), "name": m.person.name, "tier": m.tier, "shortfall": counts[m.pk].shortfall}
            for m in mentors
        ]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ClassCountSerializer(page, many=True).data)


# ---------------------------------------------------------------------------------------------- assignments


@extend_schema_view(
    list=extend_schema(summary="Class assignments for areas the caller governs"),
    retrieve=extend_schema(summary="One assignment: who is proposed for which class, and who got no seat"),
    create=_responds(
        "Propose seats by the matching engine (distance and topic, within capacity)",
        ClassAssignmentProposeSerializer,
        ClassAssignmentDetailSerializer,
        status.HTTP_201_CREATED,
    ),
)
class ClassAssignmentViewSet(ScopedModelViewSet):
    """Class assignments (课堂智能分配): proposals of the matching engine, confirmed all at once or discarded."""

    permission_classes = [IsAuthenticated, WriteRoles]
    write_roles = {a: EDITING_ROLES for a in ("create", "confirm", "discard")}
    http_method_names = ["get", "post", "head", "options"]
    serializer_class = ClassAssignmentSerializer
    filterset_fields = {"status": ["exact"]}
    filterset_class = None
    ordering = ["-created_at", "-id"]

    def base_queryset(self):
        queryset = ClassAssignment.objects.select_related(
            "region", "created_by", "decided_by"
        ).prefetch_related("classes")
        if self.action != "list":
            queryset = queryset.prefetch_related("rows__apprentice__person")
        return queryset

    def get_serializer_class(self):
        return ClassAssignmentSerializer if self.action == "list" else ClassAssignmentDetailSerializer

    def _detail(self, assignment, code=status.HTTP_200_OK):
        return Response(
            ClassAssignmentDetailSerializer(self.base_queryset().get(pk=assignment.pk)).data, status=code
        )

    def create(self, request, *args, **kwargs):
        assignment = services.propose_assignment(
            actor=request.user, **_body(self, ClassAssignmentProposeSerializer)
        )
        return self._detail(assignment, status.HTTP_201_CREATED)

    @_responds("Enrol every proposed apprentice, or none", None, ClassAssignmentDetailSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def confirm(self, request, pk=None):
        assignment = self.get_object()
        return self._detail(services.confirm_assignment(actor=request.user, assignment=assignment))

    @_responds("Discard the proposal", None, ClassAssignmentDetailSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def discard(self, request, pk=None):
        assignment = self.get_object()
        return self._detail(services.discard_assignment(actor=request.user, assignment=assignment))
