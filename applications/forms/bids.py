"""Forms of the bid workspace. They parse and check input; services do the writing."""

import re

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from applications.models import (
    Bid,
    BidSection,
    Call,
    Institution,
    RequiredAttachment,
    SectionGuidance,
)
from applications.queries import BudgetSummary
from applications.services.bids import MAX_AMOUNT, MAX_SECTION_CHARS
from portal.formats import format_amount, format_euros
from portal.forms import PortalForm

# Spaces (ordinary, no-break, narrow no-break) are accepted between groups of digits.
_GROUPING = re.compile(r"[ \u00a0\u202f]")
_DIGITS = re.compile(r"[0-9]+")
_NEGATIVE = re.compile(r"-\s*[0-9]")
_DECIMAL = re.compile(r"[0-9]*[.,][0-9]+|[0-9]+[.,][0-9]*")
# Groups of three digits after the first one or three, e.g. ``2,500,000``.
_THOUSANDS = r"[0-9]{1,3}(?:%s[0-9]{3})+"


def _ungroup(text: str) -> str:
    """Drop the language's thousands separator when it groups the digits exactly (English
    ``2,500,000``, as ``portal.formats.format_amount`` shows it); in French a comma stays a
    decimal comma, refused below."""
    separator = str(formats.get_format("THOUSAND_SEPARATOR"))
    if separator in {",", ".", "'"} and re.fullmatch(_THOUSANDS % re.escape(separator), text):
        return text.replace(separator, "")
    return text


class EuroAmountField(forms.CharField):
    """A whole, non-negative number of euros, parsed strictly.

    ``1 500 000``, ``1500000`` (and ``1,500,000`` in English) are accepted; ``-5``, ``12.50``, ``1e6``, ``12,5`` and
    anything else are refused with a message, and the form keeps what the user typed.
    """

    default_error_messages = {
        "invalid": _("Enter a whole number of euros using digits (e.g. 1 500 000)."),
        "negative": _("Amounts cannot be negative."),
        "decimal": _("Enter whole euros, without cents or decimal separators."),
        "too_large": _("This amount is too large."),
    }

    def __init__(self, *, empty_value_as_zero: bool = False, **kwargs):
        self.empty_value_as_zero = empty_value_as_zero
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 40}),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if text is None or text in self.empty_values:
            return 0 if self.empty_value_as_zero else None
        if len(text) > 40:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        compact = _ungroup(_GROUPING.sub("", text).removesuffix("€").removeprefix("€").strip())
        if _NEGATIVE.match(compact):
            raise forms.ValidationError(self.error_messages["negative"], code="negative")
        if _DECIMAL.fullmatch(compact):
            raise forms.ValidationError(self.error_messages["decimal"], code="decimal")
        if not _DIGITS.fullmatch(compact):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        amount = int(compact)
        if amount > MAX_AMOUNT:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        return amount


class StartBidForm(PortalForm):
    call = forms.ModelChoiceField(label=_("Call for projects"), queryset=Call.objects.none())
    institution = forms.ModelChoiceField(
        label=_("Lead institution"), queryset=Institution.objects.none()
    )
    acronym = forms.CharField(label=_("Acronym"), max_length=30)
    title = forms.CharField(label=_("Title"), max_length=250)

    def __init__(self, *args, calls, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["call"].queryset = calls  # type: ignore[attr-defined]  # the stubs type fields as Field
        self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]  # the stubs type fields as Field
        self.helper = FormHelper()
        self.helper.form_tag = False


class ConsortiumForm(PortalForm):
    acronym = forms.CharField(label=_("Acronym"), max_length=30)
    title = forms.CharField(label=_("Title"), max_length=250)
    requested_amount = EuroAmountField(label=_("Requested amount (€)"))
    minimum_amount = EuroAmountField(
        label=_("Minimum viable amount (€)"),
        help_text=_("The smallest award with which the project can still be carried out."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, bid: Bid, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "acronym": bid.acronym,
                "title": bid.title,
                "requested_amount": format_amount(bid.requested_amount),
                "minimum_amount": format_amount(bid.minimum_amount),
                "version": bid.consortium_version,
            },
        )
        super().__init__(*args, **kwargs)
        call = bid.call
        self.fields["requested_amount"].help_text = _(
            "Between %(min)s and %(max)s for this call."
        ) % {"min": format_euros(call.min_amount), "max": format_euros(call.max_amount)}
        self.helper = FormHelper()
        self.helper.form_tag = False


class SectionForm(PortalForm):
    content = forms.CharField(
        required=False,
        strip=False,
        max_length=MAX_SECTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 18}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(
        self, *args, section: BidSection, guidance: SectionGuidance | None = None, **kwargs
    ):
        kwargs.setdefault("initial", {"content": section.content, "version": section.version})
        super().__init__(*args, **kwargs)
        self.fields["content"].label = section.get_key_display()
        if guidance is not None and guidance.limit is not None:
            # The live counter (section-counter, static/js/section_counter.js) describes it.
            self.fields["content"].widget.attrs["aria-describedby"] = "section-counter"
        self.helper = FormHelper()
        self.helper.form_tag = False


def budget_field_name(kind: str, year: int, category: str) -> str:
    """``requested_1_staff`` / ``cofunding_3_equipment``: stable names for scripts and tests."""
    return f"{kind}_{year}_{category}"


class BudgetForm(PortalForm):
    """One field per cell: years 1..call.budget_years × categories × (requested, co-funding)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, bid: Bid, summary: BudgetSummary, **kwargs):
        # Cells show the saved amounts grouped as the language groups them (``2 500 000``);
        # the fields read that back.
        initial: dict[str, object] = {"version": bid.budget_version}
        for (year, category), (requested, cofunding) in summary.cells.items():
            initial[budget_field_name("requested", year, category)] = format_amount(requested)
            initial[budget_field_name("cofunding", year, category)] = format_amount(cofunding)
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.summary = summary
        for year in summary.years:
            for category, label in summary.categories:
                for kind, kind_label in (
                    ("requested", _("requested")),
                    ("cofunding", _("co-funding")),
                ):
                    self.fields[budget_field_name(kind, year, category)] = EuroAmountField(
                        label=_("Year %(year)s, %(category)s, %(kind)s")
                        % {"year": year, "category": label, "kind": kind_label},
                        required=False,
                        empty_value_as_zero=True,
                    )

    def grid(self, kind: str) -> dict:
        """One table of ``kind`` (requested / cofunding): a row per category, a column per
        year, with the saved totals per category, per year and overall."""
        index = 0 if kind == "requested" else 1
        rows = [
            {
                "category": category,
                "label": label,
                "cells": [
                    self[budget_field_name(kind, year, category)] for year in self.summary.years
                ],
                "total": self.summary.category_totals[category][index],
            }
            for category, label in self.summary.categories
        ]
        return {
            "kind": kind,
            "rows": rows,
            "year_totals": [self.summary.year_totals[year][index] for year in self.summary.years],
            "total": (self.summary.total_requested, self.summary.total_cofunding)[index],
        }

    def grids(self) -> list[dict]:
        return [
            {**self.grid("requested"), "title": _("Requested from the programme (€)")},
            {**self.grid("cofunding"), "title": _("Co-funding (€)")},
        ]

    def cells(self) -> dict[tuple[int, str], tuple[int, int]]:
        return {
            (year, category): (
                self.cleaned_data[budget_field_name("requested", year, category)],
                self.cleaned_data[budget_field_name("cofunding", year, category)],
            )
            for year in self.summary.years
            for category, _label in self.summary.categories
        }


class AttachmentUploadForm(PortalForm):
    required_attachment = forms.ModelChoiceField(
        queryset=RequiredAttachment.objects.none(), required=False, widget=forms.HiddenInput
    )
    file = forms.FileField(
        label=_("PDF file"),
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
        max_length=1000,
    )

    def __init__(self, *args, bid: Bid, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = RequiredAttachment.objects.filter(call_id=bid.call_id)
        self.fields["required_attachment"].queryset = queryset  # type: ignore[attr-defined]  # the stubs type fields as Field


class WithdrawForm(PortalForm):
    reason = forms.CharField(
        label=_("Reason for withdrawing"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text=_("Required. The programme team reads it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class CompareForm(PortalForm):
    """Two states of a bid to compare (``applications.queries.comparable_states``), by GET."""

    old = forms.ChoiceField(label=_("From"))
    new = forms.ChoiceField(label=_("To"))

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("old", "new"):
            self.fields[name].choices = choices  # type: ignore[attr-defined]  # the stubs type fields as Field
