"""What the legal pages state about the portal's operator, from settings (``PORTAL_*``).

The legal notice (mentions légales), the personal data page (RGPD) and the accessibility
statement (déclaration d'accessibilité, RGAA) are templates under ``templates/legal/``;
the values that differ from one operator to another (publisher, host, DPO, contacts,
retention) are read here, once. ``check_operator_settings`` warns at
``manage.py check --deploy`` while a production portal still has the defaults.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core import checks

# Settings a production portal must set for its legal pages to be true.
REQUIRED_IN_PRODUCTION = (
    "PORTAL_PUBLISHER_ADDRESS",
    "PORTAL_PUBLICATION_DIRECTOR",
    "PORTAL_HOST_NAME",
    "PORTAL_HOST_ADDRESS",
)
DEFAULT_EMAILS = {"PORTAL_CONTACT_EMAIL": "contact@localhost", "PORTAL_DPO_EMAIL": "dpo@localhost"}


@dataclass(frozen=True)
class Operator:
    publisher_name: str
    publisher_address: str
    publisher_siret: str
    publication_director: str
    contact_email: str
    host_name: str
    host_address: str
    dpo_email: str
    accessibility_email: str
    call_retention_years: int
    account_retention_years: int
    accessibility_statement_date: date


def operator() -> Operator:
    return Operator(
        publisher_name=settings.PORTAL_PUBLISHER_NAME,
        publisher_address=settings.PORTAL_PUBLISHER_ADDRESS,
        publisher_siret=settings.PORTAL_PUBLISHER_SIRET,
        publication_director=settings.PORTAL_PUBLICATION_DIRECTOR,
        contact_email=settings.PORTAL_CONTACT_EMAIL,
        host_name=settings.PORTAL_HOST_NAME,
        host_address=settings.PORTAL_HOST_ADDRESS,
        dpo_email=settings.PORTAL_DPO_EMAIL,
        accessibility_email=settings.PORTAL_ACCESSIBILITY_EMAIL or settings.PORTAL_CONTACT_EMAIL,
        call_retention_years=settings.PORTAL_CALL_RETENTION_YEARS,
        account_retention_years=settings.PORTAL_ACCOUNT_RETENTION_YEARS,
        accessibility_statement_date=date.fromisoformat(
            settings.PORTAL_ACCESSIBILITY_STATEMENT_DATE
        ),
    )


@checks.register(checks.Tags.security, deploy=True)
def check_operator_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A deployed portal whose legal pages would still show the defaults."""
    unset = [name for name in REQUIRED_IN_PRODUCTION if not getattr(settings, name)]
    unset += [
        name for name, default in DEFAULT_EMAILS.items() if getattr(settings, name) == default
    ]
    if not unset:
        return []
    return [
        checks.Warning(
            "The legal pages show default operator details: set " + ", ".join(unset) + ".",
            id="portal.W001",
        )
    ]
