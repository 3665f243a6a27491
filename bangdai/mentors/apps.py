from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MentorsConfig(AppConfig):
    name = "bangdai.mentors"
    verbose_name = _("Mentor pool")
