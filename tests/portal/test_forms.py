"""portal.forms.PlainFields: the plain values of hand-written inputs match Django's forms."""

from django import forms

from portal.forms import PlainField, PlainFields


class LineForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=[("a", "A"), ("b", "B")])
    amount = forms.IntegerField(label="Amount", min_value=0, required=False)


def test_plain_fields_of_an_unbound_row_are_those_of_the_form():
    initial = {"outcome": "b", "amount": 12}
    form = LineForm(prefix="bid-7", initial=initial)

    plain = PlainFields(LineForm).of(prefix="bid-7", initial=initial)

    assert plain == {
        bound.name: PlainField(
            name=bound.html_name,
            id=bound.auto_id,
            label=str(bound.label),
            value=bound.value(),
            errors=[],
        )
        for bound in form
    }


def test_plain_fields_of_a_bound_form_keep_the_typed_data_and_the_errors():
    form = LineForm({"bid-7-outcome": "b", "bid-7-amount": "-3"}, prefix="bid-7")
    assert not form.is_valid()

    plain = PlainFields(LineForm).of(form=form)

    assert plain["amount"].value == "-3"
    assert plain["amount"].errors == list(form.errors["amount"])
    assert plain["amount"].name == "bid-7-amount"
    assert plain["outcome"].errors == []
