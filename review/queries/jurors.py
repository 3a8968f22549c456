"""Reads for the administrators' list of jurors: one page, searched and sorted in SQL."""

from allauth.mfa.models import Authenticator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from review.models import Affiliation, JurorProfile

# The list's orders (``JurorListFilterForm.sort``); the name, then the pk, break ties.
JUROR_ORDERS: dict[str, tuple[str, ...]] = {
    "name": ("display_name", "pk"),
    "country": ("country", "display_name", "pk"),
    "-assignments": ("-assignment_count", "display_name", "pk"),
    "assignments": ("assignment_count", "display_name", "pk"),
}


def juror_rows(*, text: str = "", sort: str = "") -> QuerySet[JurorProfile]:
    """Every juror with their user, calls, affiliations, number of assignments and whether
    they have TOTP; ``text`` in the name, e-mail, country or keywords. Paged, a page is four
    queries whatever the number of jurors (count, rows, two prefetches)."""
    jurors = JurorProfile.objects.select_related("user").annotate(
        assignment_count=Count("assignments", distinct=True),
        has_totp=Exists(
            Authenticator.objects.filter(user_id=OuterRef("user_id"), type=Authenticator.Type.TOTP)
        ),
    )
    if text:
        jurors = jurors.filter(
            Q(display_name__icontains=text)
            | Q(user__email__icontains=text)
            | Q(country__icontains=text)
            | Q(keywords__icontains=text)
        )
    return jurors.prefetch_related(
        "calls",
        Prefetch("affiliations", queryset=Affiliation.objects.select_related("institution")),
    ).order_by(*JUROR_ORDERS.get(sort or "name", JUROR_ORDERS["name"]))
