"""Text the user types: NUL, other C0 controls and lone surrogates are refused everywhere
(every form of the project, the autosave JSON, the services), with a message, never a 500."""

import importlib
import inspect
import json
import pkgutil

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

import applications.forms
import review.forms
from applications.models import BidSection
from applications.services import bids as bid_services
from applications.validators import validate_clean_text
from portal.forms import CleanTextMixin, PortalForm
from tests.applications.bidkit import make_cast

SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
FORBIDDEN_CONTROLS = st.sampled_from(
    [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\x7f"]
)
# Any text at all, surrogates included (the default alphabet leaves them out).
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=40)
CLEAN_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t\n\r"),
    max_size=40,
)


def _is_clean(text: str) -> bool:
    return not any(
        (ord(ch) < 0x20 and ch not in "\t\n\r") or ord(ch) == 0x7F or 0xD800 <= ord(ch) <= 0xDFFF
        for ch in text
    )


@given(ANY_TEXT)
def test_validate_clean_text_refuses_exactly_the_forbidden_characters(text):
    if _is_clean(text):
        validate_clean_text(text)
    else:
        with pytest.raises(ValidationError) as caught:
            validate_clean_text(text)
        assert caught.value.code == "control_character"


@given(CLEAN_TEXT, st.one_of(SURROGATES, FORBIDDEN_CONTROLS), CLEAN_TEXT)
def test_validate_clean_text_names_the_character_and_its_position(before, bad, after):
    with pytest.raises(ValidationError) as caught:
        validate_clean_text(before + bad + after)

    message = caught.value.messages[0]
    assert f"U+{ord(bad):04X}" in message
    assert f"at character {len(before) + 1:,}" in message


@given(CLEAN_TEXT)
def test_validate_clean_text_accepts_tabs_newlines_and_any_script(text):
    validate_clean_text(text + "\t\n\r é 中文 🙂")


def _project_forms() -> list[type[forms.BaseForm]]:
    found = []
    for package in (applications.forms, review.forms):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for _name, obj in inspect.getmembers(module, inspect.isclass):
                if issubclass(obj, forms.BaseForm) and obj.__module__ == module.__name__:
                    found.append(obj)
    return found


def test_every_form_of_the_project_checks_its_text():
    project_forms = _project_forms()

    unchecked = [form.__name__ for form in project_forms if not issubclass(form, CleanTextMixin)]

    assert len(project_forms) > 30
    assert unchecked == []


class _Sample(PortalForm):
    name = forms.CharField()
    email = forms.EmailField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["added_later"] = forms.CharField(required=False)


@given(CLEAN_TEXT, st.one_of(SURROGATES, FORBIDDEN_CONTROLS))
def test_portal_form_refuses_control_characters_in_every_char_field(text, bad):
    typed = "x" + text + bad + "x"  # inside the text: CharField strips whitespace at the ends
    form = _Sample({"name": "ok", "added_later": typed})

    assert not form.is_valid()
    assert list(form.errors) == ["added_later"]
    assert form.data["added_later"] == typed  # re-rendered with what the user typed


def test_portal_form_leaves_the_class_fields_untouched():
    _Sample({"name": "a\x00"}).is_valid()

    assert validate_clean_text not in _Sample.base_fields["name"].validators


@pytest.fixture
def cast(db):
    return make_cast()


@pytest.fixture
def section(cast):
    return BidSection.objects.create(bid=cast.bid, key="research", content="Old text.")


def _autosave_json(client, bid, body: str):
    return client.post(
        reverse("applications:bid_section_autosave", args=[bid.public_id, "research"]),
        data=body.encode(),
        content_type="application/json",
    )


@pytest.mark.parametrize(
    ("escaped", "code"),
    [("\\ud800", "D800"), ("\\udfff", "DFFF"), ("\\u0000", "0000"), ("\\u001b", "001B")],
)
def test_autosave_json_with_a_lone_surrogate_or_control_is_400_and_nothing_saved(
    client, cast, section, escaped, code
):
    client.force_login(cast.editor)

    response = _autosave_json(
        client, cast.bid, '{"content": "abc' + escaped + 'def", "version": 1}'
    )

    section.refresh_from_db()
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert f"U+{code}" in response.json()["message"]
    assert section.content == "Old text."
    assert section.version == 1


def test_autosave_json_with_a_valid_surrogate_pair_is_saved(client, cast, section):
    client.force_login(cast.editor)

    response = _autosave_json(client, cast.bid, '{"content": "smile \\ud83d\\ude42", "version": 1}')

    section.refresh_from_db()
    assert response.status_code == 200
    assert section.content == "smile 🙂"


def test_section_form_with_nul_re_renders_with_a_message(client, cast, section):
    client.force_login(cast.editor)

    response = client.post(
        reverse("applications:bid_section", args=[cast.bid.public_id, "research"]),
        {"content": "Typed\x01 text", "version": 1},
    )

    section.refresh_from_db()
    assert response.status_code == 200
    assert "U+0001" in response.content.decode()
    assert "Typed\x01 text" in response.content.decode()
    assert section.content == "Old text."


@given(st.one_of(SURROGATES, FORBIDDEN_CONTROLS))
def test_save_section_service_refuses_control_characters(bad):
    # Pure check before any query: the service refuses the text whatever the caller.
    with pytest.raises(ValidationError):
        bid_services.save_section(bid=None, key="research", content="a" + bad, version=1, by=None)  # type: ignore[arg-type]


def test_autosave_json_body_as_sent_by_json_dumps(client, cast, section):
    client.force_login(cast.editor)

    response = _autosave_json(client, cast.bid, json.dumps({"content": "x\udc80", "version": 1}))

    assert response.status_code == 400
