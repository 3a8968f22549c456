from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("Calls, institutions and bids")

    def ready(self) -> None:
        from applications import audit  # noqa: F401 - registers models with auditlog
