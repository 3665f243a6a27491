"""Notifications and reminders (提醒): the signed-in person's notifications, opening and marking them read, the
bell's unread count, and their reminder preferences."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView

from bangdai.core.views import ScopedMixin

from . import services
from .choices import MANDATORY_KINDS, Kind
from .forms import PreferencesForm
from .models import Notification

PER_PAGE = 30


def _safe(request, target: str, default: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


class InboxView(ScopedMixin, View):
    """The person's notifications, newest first; unread ones marked; ``?unread=1`` shows only those."""

    model = Notification

    def get(self, request):
        notifications = self.get_queryset().order_by("-created_at", "-pk")
        unread_only = request.GET.get("unread") == "1"
        if unread_only:
            notifications = notifications.unread()
        page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
        return render(
            request,
            "notifications/list.html",
            {
                "page": page,
                "notifications": page.object_list,
                "unread_only": unread_only,
                "unread": self.get_queryset().unread().count(),
                "mandatory_kinds": MANDATORY_KINDS,
            },
        )


class OpenView(ScopedMixin, View):
    """POST: mark one notification read and go to what it is about (or back to the list)."""

    model = Notification
    http_method_names = ["post"]

    def post(self, request, pk):
        notification = get_object_or_404(self.get_queryset(), pk=pk)
        services.mark_read(user=request.user, notification=notification)
        if request.POST.get("stay"):
            return redirect(_safe(request, request.POST.get("next", ""), reverse("notifications:list")))
        return redirect(_safe(request, notification.link, reverse("notifications:list")))


class ReadAllView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        n = services.mark_all_read(user=request.user)
        if n:
            messages.success(request, _("All notifications are marked read."))
        return redirect(_safe(request, request.POST.get("next", ""), reverse("notifications:list")))


class BellView(ScopedMixin, View):
    """The bell with the unread count: a fragment the base page loads and refreshes with htmx."""

    model = Notification

    def get(self, request):
        return render(request, "notifications/_bell.html", {"unread": self.get_queryset().unread().count()})


class PreferencesView(LoginRequiredMixin, FormView):
    """How often each kind of non-mandatory reminder reaches the person; the mandatory kinds listed as such."""

    form_class = PreferencesForm
    template_name = "notifications/preferences.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        mandatory = [label for value, label in Kind.choices if value in MANDATORY_KINDS]
        return super().get_context_data(
            mandatory=mandatory, has_email=bool(self.request.user.email), **kwargs
        )

    def form_valid(self, form):
        services.set_preferences(user=self.request.user, values=form.values())
        messages.success(self.request, _("Your reminder preferences are saved."))
        return redirect("notifications:preferences")
