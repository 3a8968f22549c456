"""Compare-and-swap of versioned rows, and service errors mapped onto forms."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications.models import BidSection
from portal.editing import swap_instance_version, swap_row_version, swap_version
from portal.forms import add_errors
from tests.factories import BidFactory, UserFactory

pytestmark = pytest.mark.django_db


def _section() -> BidSection:
    section, _created = BidSection.objects.get_or_create(
        bid=BidFactory(), key=BidSection.Key.values[0]
    )
    return section


def test_swap_version_bumps_the_version_and_writes_when_current():
    section = _section()
    rows = BidSection.objects.filter(pk=section.pk)

    swapped = swap_version(rows, expected=section.version, content="New")

    assert swapped is True
    assert rows.values_list("version", "content").get() == (section.version + 1, "New")


def test_swap_version_changes_nothing_when_stale():
    section = _section()
    rows = BidSection.objects.filter(pk=section.pk)

    swapped = swap_version(rows, expected=section.version + 1, content="New")

    assert swapped is False
    assert rows.values_list("version", "content").get() == (section.version, section.content)


def test_swap_row_version_writes_what_the_orm_update_writes_only_when_current():
    section = _section()
    before = section.version
    other, _created = BidSection.objects.get_or_create(
        bid=section.bid, key=BidSection.Key.values[1]
    )
    other_before = (other.version, other.content)
    user = UserFactory()
    at = timezone.now()
    where = {"bid": section.bid, "key": section.key}

    stale = swap_row_version(BidSection, where=where, expected=section.version + 1, content="X")
    swapped = swap_row_version(
        BidSection,
        where=where,
        expected=section.version,
        content="New",
        updated_at=at,
        updated_by=user,
    )

    assert (stale, swapped) == (False, True)
    section.refresh_from_db()
    assert (section.version, section.content, section.updated_at, section.updated_by) == (
        before + 1,
        "New",
        at,
        user,
    )
    other.refresh_from_db()
    assert (other.version, other.content) == other_before


def test_swap_instance_version_counts_a_missing_row_as_version_zero():
    assert (swap_instance_version(None, expected=0), swap_instance_version(None, expected=1)) == (
        True,
        False,
    )


def test_swap_instance_version_swaps_the_saved_row():
    section = _section()

    first = swap_instance_version(section, expected=section.version)
    again = swap_instance_version(section, expected=section.version)

    assert (first, again) == (True, False)


class _NameForm(forms.Form):
    name = forms.CharField(required=False)


def test_add_errors_puts_field_messages_on_their_fields_and_others_on_the_form():
    form = _NameForm({"name": "x"})
    form.is_valid()

    add_errors(form, ValidationError({"name": "Too short.", "elsewhere": "Refused."}))

    assert (form.errors["name"], form.non_field_errors()) == (["Too short."], ["Refused."])


def test_add_errors_puts_a_plain_message_on_the_form():
    form = _NameForm({"name": "x"})
    form.is_valid()

    add_errors(form, ValidationError("Closed."))

    assert form.non_field_errors() == ["Closed."]
