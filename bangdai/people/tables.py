"""The cadre table: protected fields masked, sortable columns only on indexed or cheap fields."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Person


class PersonTable(tables.Table):
    name = tables.LinkColumn("people:detail", args=[tables.A("pk")], verbose_name=_("Name"))
    id_number_masked = tables.Column(
        verbose_name=_("ID number"), orderable=False, attrs={"td": {"class": "font-monospace"}}
    )
    phone_masked = tables.Column(
        verbose_name=_("Mobile phone"), orderable=False, attrs={"td": {"class": "font-monospace"}}
    )
    region = tables.Column(verbose_name=_("Employer region"), order_by=("region__path",))

    class Meta:
        model = Person
        fields = [
            "name",
            "gender",
            "birth_date",
            "id_number_masked",
            "phone_masked",
            "region",
            "position",
            "cadre_type",
        ]
        sequence = fields
        order_by = ("region", "name")
        empty_text = _("No cadres match.")
