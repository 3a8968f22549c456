"""Form helpers shared by every app's views."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from applications.validators import validate_clean_text


def add_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Attach a service's ``ValidationError`` to the form: each message keyed by a field of
    the form goes to that field, everything else to the whole form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@dataclass(frozen=True)
class PlainField:
    """What a hand-written input needs of one form field: name, id, label, value, errors."""

    name: str
    id: str
    label: str
    value: Any
    errors: list[str]


class PlainFields:
    """The fields of one form class as plain values, for pages that write their inputs by hand
    over hundreds of rows (the panel meeting, the funding decision): building a form per row
    deep-copies every field, and each ``{{ form.field.attr }}`` goes through a ``BoundField``.

    ``of(prefix=…, initial=…)`` gives an unbound row without instantiating the form, names and
    ids as Django makes them (``<prefix>-<field>``, ``id_<prefix>-<field>``); ``of(form=…)``
    gives a bound (re-rendered) form's data and errors. Labels are resolved once, in the
    language active when it is built: build one per request, never at import.
    """

    def __init__(self, form_class: type[forms.Form]) -> None:
        self.fields = form_class.base_fields
        self.labels = {name: str(field.label) for name, field in self.fields.items()}

    def of(
        self,
        *,
        prefix: str = "",
        initial: Mapping[str, Any] | None = None,
        form: forms.BaseForm | None = None,
    ) -> dict[str, PlainField]:
        if form is not None:
            return {
                bound.name: PlainField(
                    name=bound.html_name,
                    id=bound.auto_id,
                    label=self.labels.get(bound.name, str(bound.label)),
                    value=bound.value(),
                    errors=[str(error) for error in bound.errors],
                )
                for bound in form
            }
        initial = initial or {}
        return {
            name: PlainField(
                name=f"{prefix}-{name}",
                id=f"id_{prefix}-{name}",
                label=self.labels[name],
                value=field.prepare_value(initial.get(name, field.initial)),
                errors=[],
            )
            for name, field in self.fields.items()
        }


class CleanTextMixin:
    """Every text field of the form refuses control characters and lone surrogates
    (``validate_clean_text``), whatever the form declares: subclass ``PortalForm`` or
    ``PortalModelForm`` instead of Django's (a test walks every form of the project)."""

    fields: dict[str, forms.Field]

    def full_clean(self) -> None:
        # At cleaning time, so that fields a subclass adds in its ``__init__`` count too;
        # ``self.fields`` holds per-instance copies: the class's fields are untouched.
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and validate_clean_text not in field.validators:
                field.validators.append(validate_clean_text)
        super().full_clean()  # type: ignore[misc]  # a mixin of forms.BaseForm


class PortalForm(CleanTextMixin, forms.Form):
    """The project's base form (see ``CleanTextMixin``)."""


class PortalModelForm(CleanTextMixin, forms.ModelForm):
    """The project's base model form (see ``CleanTextMixin``)."""
