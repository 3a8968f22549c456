from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = _("Jury, scoring and ranking")

    def ready(self) -> None:
        from applications.queries import register_bid_list_filter
        from review import audit  # noqa: F401 - registers models with auditlog
        from review.queries.conflicts import CONFLICT_STATE_FILTER
        from review.services.audit import register_consortium_audit
        from review.services.decisions import register_call_guards
        from review.services.publication import register_publication

        register_call_guards()
        register_publication()
        register_consortium_audit()
        register_bid_list_filter("conflict_state", CONFLICT_STATE_FILTER)
