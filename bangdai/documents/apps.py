from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "bangdai.documents"
    verbose_name = _("Printed documents")
