"""Form helpers shared by every app's views."""

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
