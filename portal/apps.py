from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from portal import (
            legal,  # noqa: F401 - registers the deploy check of the legal pages
            sealing,  # noqa: F401 - registers the sealing certificate's check
        )
