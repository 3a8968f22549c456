"""Pages of long lists: one rule for every list page of the portal.

A list page shows ``PER_PAGE`` rows; the page number comes from the query string (``page``
unless the page has two lists), and the other parameters (filters, sort) are kept in the
links by ``templates/partials/pagination.html`` through Django's ``{% querystring %}``.
A page number that is not a number shows the first page, one past the end the last
(``Paginator.get_page``): a link kept from a longer list still lands somewhere.
"""

from collections.abc import Sequence
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PER_PAGE = 50


def paginate(
    request: HttpRequest,
    rows: QuerySet[Any] | Sequence[Any],
    *,
    per_page: int = PER_PAGE,
    parameter: str = "page",
) -> Page:
    """The page of ``rows`` the request asks for; on a queryset, two queries (count, rows)."""
    return page_of(rows, request.GET.get(parameter), per_page=per_page, parameter=parameter)


def page_of(
    rows: QuerySet[Any] | Sequence[Any],
    number: str | int | None,
    *,
    per_page: int = PER_PAGE,
    parameter: str = "page",
) -> Page:
    """Page ``number`` of ``rows``, for a query that takes the number as an argument."""
    page = Paginator(rows, per_page).get_page(number)
    page.parameter = parameter  # type: ignore[attr-defined]  # read by the pagination partial
    return page
