import django_tables2 as tables
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .models import User


class UserTable(tables.Table):
    username = tables.LinkColumn("accounts:detail", args=[tables.A("pk")], verbose_name=_("Username"))
    roles = tables.Column(verbose_name=_("Roles"), accessor="pk", orderable=False)
    is_active = tables.BooleanColumn(verbose_name=_("Active"))

    class Meta:
        model = User
        fields = ["username", "display_name", "roles", "is_active", "last_login"]
        order_by = ("username",)
        empty_text = _("No accounts match.")

    def render_roles(self, record):
        return format_html_join(
            " ",
            '<span class="badge bg-blue-lt">{} · {}</span>',
            ((a.get_role_display(), a.region.name) for a in record.role_assignments.all()),
        )
