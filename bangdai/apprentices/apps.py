from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprenticesConfig(AppConfig):
    name = "bangdai.apprentices"
    verbose_name = _("Apprentice registry")
