"""Teaching sites (现场教学点) and open classes (开放型课堂): lists, the site and class pages, scheduling, enrolment,
the QR check-in, the host's check list, materials, and the matching engine's seat assignment."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView

from bangdai.accounts.choices import Role
from bangdai.core.choices import ContentArea, labels
from bangdai.core.forms import add_service_errors
from bangdai.core.views import (
    CurrentRegionFilterMixin,
    ScopedListView,
    ScopedMixin,
    ServiceFormView,
    stored_file_response,
)

from . import rules, selectors, services
from .choices import AssignmentStatus, ClassPhase
from .filtersets import ClassFilterSet, SiteFilterSet
from .forms import AssignForm, ClassEditForm, ClassForm, EnrolForm, MaterialForm, ReasonForm, SiteForm
from .models import ClassAssignment, ClassMaterial, Enrolment, OpenClass, TeachingSite
from .tables import ClassTable, SiteTable
from .templatetags.teaching import checkin_url, qr_svg


def _errors_to_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


class FormPageMixin:
    """A one-form page (components/form_page.html) about one record."""

    template_name = "components/form_page.html"
    page_title = pretitle = submit_label = ""

    def cancel_url(self) -> str:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=self.page_title,
            pretitle=self.pretitle,
            cancel_url=self.cancel_url(),
            submit_label=self.submit_label,
            columns=2,
            **kwargs,
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}


# ---------------------------------------------------------------------------------------------- sites


class SiteListView(CurrentRegionFilterMixin, ScopedListView):
    model = TeachingSite
    table_class = SiteTable
    filterset_class = SiteFilterSet
    export_name = "teaching-sites"
    export_columns = [
        (gettext_lazy("Site name"), lambda s: s.name),
        (gettext_lazy("Region code"), lambda s: s.village.code),
        (gettext_lazy("Host village"), lambda s: s.village.name),
        (gettext_lazy("Level"), lambda s: s.get_level_display()),
        (gettext_lazy("Themes"), lambda s: labels(ContentArea, s.themes)),
        (gettext_lazy("Courses"), lambda s: "、".join(s.courses)),
        (gettext_lazy("Capacity per session"), lambda s: s.capacity_per_session),
        (gettext_lazy("Academy"), lambda s: s.academy),
        (gettext_lazy("Status"), lambda s: s.get_status_display()),
    ]

    def base_queryset(self):
        return TeachingSite.objects.select_related("village").order_by("village__path", "name", "pk")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Teaching sites"),
            can_add=rules.may_register_sites(self.request.user),
            add_url=reverse("teaching:site_create"),
            **kwargs,
        )


class SiteCreateView(ServiceFormView):
    model = TeachingSite
    form_class = SiteForm
    required_roles = rules.SITE_REGISTRARS
    page_title = gettext_lazy("Register a teaching site")
    pretitle = gettext_lazy("Teaching sites")
    submit_label = gettext_lazy("Register")
    success_message = gettext_lazy("Teaching site registered.")
    cancel_url_name = "teaching:sites"
    success_url_name = "teaching:site_detail"

    def perform(self, form):
        return services.register_site(actor=self.request.user, **form.service_data())


class SitePageMixin(ScopedMixin):
    model = TeachingSite
    template_name = "teaching/site_detail.html"

    def base_queryset(self):
        return TeachingSite.objects.select_related("village", "created_by")

    def get_site(self, pk) -> TeachingSite:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def render_page(self, site, **overrides):
        user = self.request.user
        upcoming, past = selectors.site_classes(user, site)
        context = {
            "object": site,
            "site": site,
            "lineage": site.village.lineage(),
            "themes": labels(ContentArea, site.themes),
            "hosts": site.host_mentors.select_related("person", "region"),
            "upcoming": upcoming,
            "past": past,
            "manages": rules.manages_site(user, site.village),
            "may_schedule": site.status == "active" and rules.may_schedule(user),
            "events": site.events.select_related("actor"),
            "close_form": ReasonForm(prefix="close"),
            **overrides,
        }
        return render(self.request, self.template_name, context)


class SiteDetailView(SitePageMixin, View):
    def get(self, request, pk):
        return self.render_page(self.get_site(pk))


class SiteEditView(FormPageMixin, SitePageMixin, FormView):
    form_class = SiteForm
    template_name = "components/form_page.html"
    submit_label = gettext_lazy("Save")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.site = self.get_site(kwargs["pk"])
        if not rules.manages_site(request.user, self.site.village):
            raise PermissionDenied
        self.page_title = _("Edit %(name)s") % {"name": self.site.name}
        self.pretitle = _("Teaching sites")
        return super().dispatch(request, *args, **kwargs)

    def cancel_url(self):
        return reverse("teaching:site_detail", args=[self.site.pk])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "site": self.site}

    def form_valid(self, form):
        try:
            services.update_site(actor=self.request.user, site=self.site, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("teaching:site_detail", pk=self.site.pk)


class SiteActionView(SitePageMixin, View):
    """POST close (with a reason) or reopen."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        if action not in ("close", "reopen"):
            raise Http404
        site = self.get_site(pk)
        if not rules.manages_site(request.user, site.village):
            raise PermissionDenied
        form = ReasonForm(request.POST, prefix="close")
        try:
            if action == "close":
                if not form.is_valid():
                    return self.render_page(site, close_form=form, failed_action="close")
                services.close_site(actor=request.user, site=site, reason=form.cleaned_data["reason"])
            else:
                services.reopen_site(actor=request.user, site=site)
        except ValidationError as error:
            _errors_to_messages(request, error)
            return self.render_page(self.get_site(pk), close_form=form)
        messages.success(
            request, _("Teaching site closed.") if action == "close" else _("Teaching site reopened.")
        )
        return redirect("teaching:site_detail", pk=site.pk)


# ---------------------------------------------------------------------------------------------- classes


class ClassListView(CurrentRegionFilterMixin, ScopedListView):
    model = OpenClass
    table_class = ClassTable
    filterset_class = ClassFilterSet
    export_name = "open-classes"
    export_columns = [
        (gettext_lazy("Class title"), lambda c: c.title),
        (gettext_lazy("Starts"), lambda c: timezone.localtime(c.starts_at).strftime("%Y-%m-%d %H:%M")),
        (gettext_lazy("Ends"), lambda c: timezone.localtime(c.ends_at).strftime("%Y-%m-%d %H:%M")),
        (gettext_lazy("Mentor"), lambda c: c.mentor.person.name),
        (gettext_lazy("Teaching site"), lambda c: c.site.name if c.site_id else ""),
        (gettext_lazy("Region code"), lambda c: c.village.code),
        (gettext_lazy("Village"), lambda c: c.village.name),
        (gettext_lazy("Content areas"), lambda c: labels(ContentArea, c.content_areas)),
        (gettext_lazy("Method"), lambda c: c.get_method_display()),
        (gettext_lazy("Seats"), lambda c: c.capacity),
        (gettext_lazy("Enrolled"), lambda c: c.enrolled_count),
        (gettext_lazy("Status"), lambda c: c.get_status_display()),
    ]

    def base_queryset(self):
        return selectors.classes_for_lists(OpenClass.objects.order_by("-starts_at", "-pk"))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Open classes"),
            can_add=rules.may_schedule(self.request.user),
            add_url=reverse("teaching:class_create"),
            **kwargs,
        )


class ClassCreateView(FormPageMixin, ScopedMixin, FormView):
    model = OpenClass
    form_class = ClassForm
    page_title = gettext_lazy("Schedule an open class")
    pretitle = gettext_lazy("Open classes")
    submit_label = gettext_lazy("Schedule")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not rules.may_schedule(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def cancel_url(self):
        return reverse("teaching:mine")

    def get_initial(self):
        site = self.request.GET.get("site", "")
        return {"site": site} if site.isdigit() else {}

    def form_valid(self, form):
        try:
            open_class = services.schedule_class(actor=self.request.user, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Open class scheduled."))
        return redirect("teaching:class_detail", pk=open_class.pk)


class ClassPageMixin(ScopedMixin):
    model = OpenClass
    template_name = "teaching/class_detail.html"

    def base_queryset(self):
        return OpenClass.objects.select_related(
            "mentor__person", "mentor__programme__region", "site", "village", "created_by"
        )

    def get_class(self, pk) -> OpenClass:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def page_context(self, open_class, **overrides) -> dict:
        user = self.request.user
        view = selectors.class_view(user, open_class)
        return {
            "object": open_class,
            "open_class": open_class,
            "view": view,
            "areas": labels(ContentArea, open_class.content_areas),
            "roster": selectors.roster(open_class) if view.sees_roster else None,
            "materials": open_class.materials.all(),
            "events": open_class.events.select_related("actor") if view.manages else None,
            "cancel_form": ReasonForm(prefix="cancel"),
            "material_form": MaterialForm(),
            **overrides,
        }

    def render_page(self, open_class, status=200, **overrides):
        return render(
            self.request, self.template_name, self.page_context(open_class, **overrides), status=status
        )

    def require(self, allowed: bool) -> None:
        if not allowed:
            raise PermissionDenied


class ClassDetailView(ClassPageMixin, View):
    def get(self, request, pk):
        return self.render_page(self.get_class(pk))


class ClassEditView(FormPageMixin, ClassPageMixin, FormView):
    form_class = ClassEditForm
    template_name = "components/form_page.html"
    submit_label = gettext_lazy("Save")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.open_class = self.get_class(kwargs["pk"])
        self.require(rules.manages_class(request.user, self.open_class))
        self.page_title = _("Edit %(title)s") % {"title": self.open_class.title}
        self.pretitle = _("Open classes")
        return super().dispatch(request, *args, **kwargs)

    def cancel_url(self):
        return reverse("teaching:class_detail", args=[self.open_class.pk])

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("user")
        return {**kwargs, "open_class": self.open_class}

    def form_valid(self, form):
        try:
            services.update_class(actor=self.request.user, open_class=self.open_class, **form.class_data())
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("teaching:class_detail", pk=self.open_class.pk)


CLASS_ACTIONS = ("enrol", "withdraw", "cancel")


class ClassActionView(ClassPageMixin, View):
    """POST enrol (oneself), withdraw (one's own seat, or an organiser any seat) or cancel (with a reason)."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        if action not in CLASS_ACTIONS:
            raise Http404
        open_class = self.get_class(pk)
        user = request.user
        try:
            if action == "enrol":
                services.enrol_self(actor=user, open_class=open_class)
                done = _("You are enrolled. Scan the class's code when you arrive.")
            elif action == "withdraw":
                services.withdraw(actor=user, enrolment=self.enrolment(open_class))
                done = _("The seat has been given back.")
            else:
                self.require(rules.manages_class(user, open_class))
                form = ReasonForm(request.POST, prefix="cancel")
                if not form.is_valid():
                    return self.render_page(open_class, cancel_form=form, failed_action="cancel")
                services.cancel_class(actor=user, open_class=open_class, reason=form.cleaned_data["reason"])
                done = _("The class has been cancelled.")
        except ValidationError as error:
            _errors_to_messages(request, error)
            return self.render_page(self.get_class(pk))
        messages.success(request, done)
        return redirect("teaching:class_detail", pk=open_class.pk)

    def enrolment(self, open_class) -> Enrolment:
        """The seat named in the form (an organiser's choice), else the user's own."""
        seats = open_class.enrolments.select_related("person").filter(status="enrolled")
        chosen = self.request.POST.get("enrolment", "")
        if chosen:
            if not chosen.isdigit():
                raise Http404
            enrolment = seats.filter(pk=chosen).first()
            if enrolment is None or not (
                enrolment.person_id == self.request.user.person_id
                or rules.manages_class(self.request.user, open_class)
            ):
                raise Http404
            return enrolment
        return services.own_seat(self.request.user, open_class)


class EnrolOthersView(FormPageMixin, ClassPageMixin, FormView):
    """An organiser enrols apprentices of their choice."""

    form_class = EnrolForm
    template_name = "components/form_page.html"
    submit_label = gettext_lazy("Enrol")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.open_class = self.get_class(kwargs["pk"])
        self.require(rules.organises(request.user, self.open_class))
        self.page_title = _("Enrol apprentices in %(title)s") % {"title": self.open_class.title}
        self.pretitle = _("%(free)d of %(capacity)d seats free") % {
            "free": self.open_class.free_seats,
            "capacity": self.open_class.capacity,
        }
        return super().dispatch(request, *args, **kwargs)

    def cancel_url(self):
        return reverse("teaching:class_detail", args=[self.open_class.pk])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "open_class": self.open_class}

    def form_valid(self, form):
        try:
            enrolled = services.enrol(
                actor=self.request.user,
                open_class=self.open_class,
                apprentices=form.cleaned_data["apprentices"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(n)d apprentices enrolled.") % {"n": len(enrolled)})
        return redirect("teaching:class_detail", pk=self.open_class.pk)


class ChecklistView(ClassPageMixin, View):
    """The host's phone screen at the class: the QR code to scan, and the check list to tick."""

    template_name = "teaching/checklist.html"

    def get(self, request, pk):
        open_class = self.get_class(pk)
        self.require(rules.manages_class(request.user, open_class))
        return render(request, self.template_name, self.checklist_context(open_class))

    def checklist_context(self, open_class, **extra):
        roster = list(selectors.roster(open_class))
        url = checkin_url(self.request, open_class)
        return {
            "open_class": open_class,
            "phase": selectors.phase(open_class),
            "roster": roster,
            "present": sum(1 for e in roster if e.attended_at),
            "qr": qr_svg(url, open_class.title),
            "checkin_url": url,
            **extra,
        }

    def post(self, request, pk):
        open_class = self.get_class(pk)
        self.require(rules.manages_class(request.user, open_class))
        chosen = request.POST.get("enrolment", "")
        if not chosen.isdigit():
            raise Http404
        enrolment = get_object_or_404(selectors.roster(open_class), pk=chosen)
        present = request.POST.get("present") == "1"
        error = None
        try:
            if present:
                enrolment = services.mark_present(actor=request.user, enrolment=enrolment)
            else:
                enrolment = services.clear_attendance(actor=request.user, enrolment=enrolment)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        if request.htmx:
            enrolment.refresh_from_db()
            roster = selectors.roster(open_class)
            context = {"open_class": open_class, "e": enrolment, "error": error, "oob": True}
            context.update(total=roster.count(), present=roster.filter(attended_at__isnull=False).count())
            return render(request, "teaching/_checklist_row.html", context)
        if error:
            messages.error(request, error)
        else:
            messages.success(
                request,
                _("Checked in: %(name)s.") % {"name": enrolment.person.name}
                if present
                else _("Check-in taken back: %(name)s.") % {"name": enrolment.person.name},
            )
        return redirect("teaching:class_checklist", pk=open_class.pk)


class QRView(ClassPageMixin, View):
    """The class's check-in QR code as an SVG file, to print or project."""

    def get(self, request, pk):
        open_class = self.get_class(pk)
        self.require(rules.manages_class(request.user, open_class))
        svg = '<?xml version="1.0" encoding="utf-8"?>\n' + qr_svg(
            checkin_url(request, open_class), open_class.title
        )
        svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" width="528" height="528" ', 1)
        response = HttpResponse(svg, content_type="image/svg+xml")
        response["Content-Disposition"] = f'inline; filename="open-class-{open_class.pk}-qr.svg"'
        return response


class MaterialAddView(ClassPageMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        open_class = self.get_class(pk)
        self.require(rules.manages_class(request.user, open_class))
        form = MaterialForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.add_material(
                    actor=request.user, open_class=open_class, file=form.cleaned_data["file"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Material added."))
                return redirect("teaching:class_detail", pk=open_class.pk)
        return self.render_page(open_class, material_form=form)


class MaterialPageMixin(ScopedMixin):
    model = OpenClass

    def get_material(self, pk) -> ClassMaterial:
        visible = OpenClass.objects.visible_to(self.request.user)
        return get_object_or_404(
            ClassMaterial.objects.select_related("open_class__mentor", "open_class__village").filter(
                open_class__in=visible
            ),
            pk=pk,
        )


class MaterialView(MaterialPageMixin, View):
    def get(self, request, pk):
        material = self.get_material(pk)
        return stored_file_response(
            material.file,
            content_type=material.content_type,
            filename=material.name,
            attachment=material.content_type == "application/pdf",
        )


class MaterialRemoveView(MaterialPageMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        material = self.get_material(pk)
        if not rules.manages_class(request.user, material.open_class):
            raise PermissionDenied
        services.remove_material(actor=request.user, material=material)
        messages.success(request, _("Material removed."))
        return redirect("teaching:class_detail", pk=material.open_class_id)


# ---------------------------------------------------------------------------------------------- check-in


class CheckInView(ScopedMixin, View):
    """The page a class's QR code opens: the apprentice confirms with one tap and is checked in."""

    model = OpenClass
    template_name = "teaching/checkin.html"

    def get_class(self, token):
        open_class_id = services.class_id_from_token(token)
        return get_object_or_404(
            self.get_queryset().select_related("mentor__person", "site", "village"), pk=open_class_id
        )

    def render_page(self, open_class, token, error=None, status=200):
        enrolment = selectors.own_enrolment(self.request.user, open_class) if open_class is not None else None
        current = selectors.phase(open_class) if open_class is not None else None
        context = {
            "open_class": open_class,
            "token": token,
            "error": error,
            "enrolment": enrolment,
            "phase": current,
            "can_check_in": enrolment is not None
            and not enrolment.attended_at
            and current == ClassPhase.CHECK_IN,
            "opens_at": services.checkin_window(open_class)[0] if open_class is not None else None,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, token):
        try:
            open_class = self.get_class(token)
        except ValidationError as error:
            return self.render_page(None, token, error=" ".join(error.messages), status=400)
        return self.render_page(open_class, token)

    def post(self, request, token):
        try:
            open_class = self.get_class(token)
        except ValidationError as error:
            return self.render_page(None, token, error=" ".join(error.messages), status=400)
        try:
            services.check_in(actor=request.user, open_class=open_class, token=token)
        except ValidationError as error:
            return self.render_page(open_class, token, error=" ".join(error.messages))
        messages.success(request, _("Checked in. Welcome to the class!"))
        return redirect("teaching:checkin", token=token)


# ---------------------------------------------------------------------------------------------- assignment


class AssignView(FormPageMixin, ScopedMixin, FormView):
    """Choose the classes and the area; the engine proposes whom to seat where."""

    model = ClassAssignment
    form_class = AssignForm
    page_title = gettext_lazy("Assign apprentices to open classes")
    pretitle = gettext_lazy("Open classes")
    submit_label = gettext_lazy("Propose seats")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not rules.may_assign(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def cancel_url(self):
        return reverse("teaching:classes")

    def get_context_data(self, **kwargs):
        intro = _(
            "Seats the apprentices of an area in the free seats of upcoming classes: each apprentice goes to the "
            "nearest class that teaches what they need, so that the seats serve the area best. You see the "
            "proposal before anyone is enrolled."
        )
        return super().get_context_data(intro=intro, **kwargs)

    def get_initial(self):
        region = self.request.region
        return {
            "area": region.code if region is not None else None,
            "classes": self.request.GET.getlist("class"),
        }

    def form_valid(self, form):
        try:
            assignment = services.propose_assignment(actor=self.request.user, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        return redirect("teaching:assignment_detail", pk=assignment.pk)


class AssignmentPageMixin(ScopedMixin):
    model = ClassAssignment
    template_name = "teaching/assignment_detail.html"

    def get_assignment(self, pk) -> ClassAssignment:
        return get_object_or_404(
            self.get_queryset().select_related("region", "programme", "created_by", "decided_by"), pk=pk
        )

    def render_page(self, assignment):
        rows = list(
            assignment.rows.select_related("apprentice__person", "apprentice__region", "open_class__village")
        )
        classes = list(selectors.classes_for_lists(assignment.classes.all()).order_by("starts_at", "pk"))
        seated = {c.pk: [r for r in rows if r.open_class_id == c.pk] for c in classes}
        context = {
            "assignment": assignment,
            "object": assignment,
            "classes": [(c, seated[c.pk]) for c in classes],
            "unassigned": [r for r in rows if r.open_class_id is None],
            "may_decide": assignment.status == AssignmentStatus.PROPOSED
            and self.request.user.scope.edits(assignment.region.path),
        }
        return render(self.request, self.template_name, context)


class AssignmentDetailView(AssignmentPageMixin, View):
    def get(self, request, pk):
        return self.render_page(self.get_assignment(pk))


class AssignmentActionView(AssignmentPageMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk, action):
        if action not in ("confirm", "discard"):
            raise Http404
        assignment = self.get_assignment(pk)
        if not request.user.scope.edits(assignment.region.path):
            raise PermissionDenied
        try:
            if action == "confirm":
                services.confirm_assignment(actor=request.user, assignment=assignment)
            else:
                services.discard_assignment(actor=request.user, assignment=assignment)
        except ValidationError as error:
            _errors_to_messages(request, error)
            return self.render_page(self.get_assignment(pk))
        messages.success(
            request,
            _("Confirmed: every proposed apprentice is enrolled.")
            if action == "confirm"
            else _("Proposal discarded."),
        )
        return redirect("teaching:assignment_detail", pk=assignment.pk)


# ---------------------------------------------------------------------------------------------- personal


class MineView(ScopedMixin, TemplateView):
    """我的开放课堂: the classes a mentor gives, an apprentice's seats and attendance, and the classes open to them."""

    model = OpenClass
    template_name = "teaching/mine.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            desk=selectors.desk(user),
            may_schedule=rules.may_schedule(user),
            governs=user.scope.has_role(Role.ORG_ADMIN, Role.TOWNSHIP, Role.AUDITOR),
            may_assign=rules.may_assign(user),
            **kwargs,
        )
