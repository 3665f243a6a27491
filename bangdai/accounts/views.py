"""Sign-in, password change, and account management inside an admin's subtree."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView

from bangdai.core.views import ScopedDetailView, ScopedListView, ScopedMixin

from . import services
from .filtersets import UserFilterSet
from .forms import AccountCreateForm, LoginForm, ProfileForm, RoleGrantForm
from .models import RoleAssignment, User
from .tables import UserTable


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


def _with_roles(queryset):
    return queryset.prefetch_related(
        Prefetch(
            "role_assignments",
            queryset=RoleAssignment.objects.select_related("region").order_by("region__path"),
        )
    )


class AdminRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm("accounts.add_user"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class UserListView(AdminRequiredMixin, ScopedListView):
    model = User
    table_class = UserTable
    filterset_class = UserFilterSet
    export_name = "accounts"
    export_columns = [
        (_("Username"), lambda u: u.username),
        (_("Display name"), lambda u: u.display_name),
        (_("Active"), lambda u: u.is_active),
    ]

    def base_queryset(self):
        return _with_roles(User.objects.all())

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Accounts"), can_add=True, add_url=reverse_lazy("accounts:create"), **kwargs
        )


class UserDetailView(AdminRequiredMixin, ScopedDetailView):
    model = User
    template_name = "accounts/detail.html"
    context_object_name = "account"

    def base_queryset(self):
        return _with_roles(User.objects.all())

    def get_context_data(self, **kwargs):
        account = self.object
        return super().get_context_data(
            can_manage=services.can_manage(self.request.user, account),
            grant_form=RoleGrantForm(user=self.request.user),
            profile_form=ProfileForm(initial={"display_name": account.display_name, "email": account.email}),
            **kwargs,
        )


class UserCreateView(AdminRequiredMixin, ScopedMixin, FormView):
    model = User
    form_class = AccountCreateForm
    template_name = "accounts/form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            account = services.create_account(
                actor=self.request.user,
                username=data["username"],
                password=data["password"],
                role=data["role"],
                region=data["region"],
                display_name=data["display_name"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
            return self.form_invalid(form)
        messages.success(self.request, _("Account created."))
        return redirect("accounts:detail", pk=account.pk)


class UserActionView(AdminRequiredMixin, ScopedMixin, View):
    """POST actions on one account: grant or revoke a role, (de)activate, edit the profile."""

    model = User
    http_method_names = ["post"]

    def post(self, request, pk, action):
        account = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            if action == "grant":
                form = RoleGrantForm(request.POST, user=request.user)
                if not form.is_valid():
                    raise ValidationError([e for errs in form.errors.values() for e in errs])
                services.grant_role(actor=request.user, user=account, **form.cleaned_data)
            elif action == "revoke":
                assignment = get_object_or_404(account.role_assignments, pk=request.POST.get("assignment"))
                services.revoke_role(actor=request.user, assignment=assignment)
            elif action in ("activate", "deactivate"):
                services.set_active(actor=request.user, user=account, active=action == "activate")
            elif action == "profile":
                form = ProfileForm(request.POST)
                if not form.is_valid():
                    raise ValidationError([e for errs in form.errors.values() for e in errs])
                services.update_profile(actor=request.user, user=account, **form.cleaned_data)
            else:
                raise PermissionDenied
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Saved."))
        return redirect("accounts:detail", pk=account.pk)
