"""Guidance per section: the one count, the limit on the server, the editor's guidance."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from applications import text_limits
from applications.models import BidSection, SectionGuidance
from applications.services.bids import save_section
from tests.applications.bidkit import make_cast
from tests.factories import AdministratorFactory, CallFactory, CriterionFactory, enable_totp
from tests.factories import SectionGuidanceFactory as GuidanceFactory

# --------------------------------------------------------------------------- the count


def test_count_chars_counts_code_points_after_normalising_line_endings():
    assert text_limits.count_text("ab\r\ncd\re", "chars") == 7  # a b \n c d \n e
    assert text_limits.count_text("👍🏽 é", "chars") == 4  # two emoji code points, space, é


def test_count_words_splits_on_the_documented_whitespace_only():
    assert text_limits.count_text("un\u00a0deux\u202ftrois\n\nquatre\tcinq", "words") == 5
    # A zero-width space is not whitespace: one word, as in the script.
    assert text_limits.count_text("a\u200bb", "words") == 1
    assert text_limits.count_text("  \n ", "words") == 0


def test_count_unknown_unit_raises():
    with pytest.raises(ValueError, match="unknown unit"):
        text_limits.count_text("x", "pages")


# Text as typed in the editor (\n line breaks), and as a browser posts it (\r\n): a text that
# already holds a lone \r is another text (its \r is a line break of its own).
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r")))
def test_count_is_the_same_with_crlf_line_endings(text):
    crlf = text.replace("\n", "\r\n")
    for unit in (text_limits.CHARS, text_limits.WORDS):
        assert text_limits.count_text(crlf, unit) == text_limits.count_text(text, unit)


def _js_whitespace() -> str:
    source = (Path(settings.BASE_DIR) / "static/js/section_counter.js").read_text()
    literal = re.search(r'var WHITESPACE = "([^"]*)";', source)
    assert literal is not None
    return re.sub(
        r"\\(u[0-9a-fA-F]{4}|[tnr])",
        lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1)) or chr(int(m.group(1)[1:], 16)),
        literal.group(1),
    )


def test_counter_script_uses_the_servers_whitespace_class():
    assert _js_whitespace() == text_limits.WHITESPACE


# --------------------------------------------------------------------------- the limit


@pytest.fixture
def cast(db):
    return make_cast()


def _guidance(bid, **kwargs):
    return GuidanceFactory(call=bid.call, section="research", **kwargs)


def _version(bid, key="research") -> int:
    section = BidSection.objects.filter(bid=bid, key=key).first()
    return section.version if section else 1


@pytest.mark.django_db
def test_save_section_accepts_exactly_the_limit(cast):
    _guidance(cast.bid, limit=10, limit_unit="chars")

    saved = save_section(
        bid=cast.bid, key="research", content="é" * 9 + "\n", version=1, by=cast.editor
    )

    assert saved.content == "é" * 9 + "\n"


@pytest.mark.django_db
def test_save_section_refuses_limit_plus_one_char(cast):
    _guidance(cast.bid, limit=10, limit_unit="chars")

    with pytest.raises(ValidationError) as caught:
        save_section(bid=cast.bid, key="research", content="x" * 11, version=1, by=cast.editor)

    assert caught.value.code == "over_limit"
    assert caught.value.messages == [
        "Not saved: this section is limited to 10 characters and your text has 11. Remove 1 "
        "character to save it; your text is kept in the editor."
    ]
    assert not BidSection.objects.filter(bid=cast.bid, key="research", content="x" * 11).exists()


@pytest.mark.django_db
def test_save_section_counts_crlf_as_one_character(cast):
    _guidance(cast.bid, limit=3, limit_unit="chars")

    saved = save_section(bid=cast.bid, key="research", content="a\r\nb", version=1, by=cast.editor)

    assert saved.content == "a\nb"


@pytest.mark.django_db
def test_save_section_words_limit_accepts_limit_refuses_limit_plus_one(cast):
    _guidance(cast.bid, limit=3, limit_unit="words")
    save_section(
        bid=cast.bid, key="research", content="un deux\u00a0trois", version=1, by=cast.editor
    )

    with pytest.raises(ValidationError) as caught:
        save_section(
            bid=cast.bid, key="research", content="un deux trois quatre", version=2, by=cast.editor
        )

    assert caught.value.messages == [
        "Not saved: this section is limited to 3 words and your text has 4. Remove 1 word to "
        "save it; your text is kept in the editor."
    ]


@pytest.mark.django_db
def test_save_section_limit_of_another_section_or_call_does_not_apply(cast):
    _guidance(cast.bid, limit=3)
    GuidanceFactory(section="summary", limit=3)  # another call

    saved = save_section(
        bid=cast.bid, key="summary", content="long enough", version=1, by=cast.editor
    )

    assert saved.content == "long enough"


@pytest.mark.django_db
def test_autosave_over_limit_answers_422_with_message_and_keeps_saved_text(client, cast):
    _guidance(cast.bid, limit=5)
    BidSection.objects.create(bid=cast.bid, key="research", content="Old.")
    client.force_login(cast.editor)

    response = client.post(
        reverse("applications:bid_section_autosave", args=[cast.bid.public_id, "research"]),
        {"content": "123456", "version": 1},
    )

    assert response.status_code == 422
    assert response.json()["message"].startswith("Not saved: this section is limited to 5")
    assert BidSection.objects.get(bid=cast.bid, key="research").content == "Old."


@pytest.mark.django_db
def test_autosave_counts_the_limit_in_the_guidance_unit(client, cast):
    _guidance(cast.bid, limit=2, limit_unit=SectionGuidance.LimitUnit.WORDS)
    BidSection.objects.create(bid=cast.bid, key="research", content="Old.")
    client.force_login(cast.editor)
    url = reverse("applications:bid_section_autosave", args=[cast.bid.public_id, "research"])

    refused = client.post(url, {"content": "three short words", "version": 1})
    saved = client.post(url, {"content": "two words", "version": 1})

    assert refused.status_code == 422
    assert refused.json()["message"].startswith("Not saved: this section is limited to 2 words")
    assert saved.status_code == 200
    assert BidSection.objects.get(bid=cast.bid, key="research").content == "two words"


@pytest.mark.django_db
def test_autosave_ignores_the_limit_of_another_section(client, cast):
    GuidanceFactory(call=cast.bid.call, section="summary", limit=1)
    BidSection.objects.create(bid=cast.bid, key="research", content="Old.")
    client.force_login(cast.editor)

    response = client.post(
        reverse("applications:bid_section_autosave", args=[cast.bid.public_id, "research"]),
        {"content": "Longer than one character.", "version": 1},
    )

    assert response.status_code == 200


@pytest.mark.django_db
def test_section_form_over_limit_rerenders_with_the_users_text(client, cast):
    _guidance(cast.bid, limit=5)
    BidSection.objects.create(bid=cast.bid, key="research", content="Old.")
    client.force_login(cast.editor)

    response = client.post(
        reverse("applications:bid_section", args=[cast.bid.public_id, "research"]),
        {"content": "Too long <b>text</b>", "version": 1},
    )

    assert response.status_code == 200
    assert "Too long &lt;b&gt;text&lt;/b&gt;" in response.content.decode()
    assert "limited to 5 characters and your text has 20" in response.content.decode()
    assert BidSection.objects.get(bid=cast.bid, key="research").content == "Old."


# --------------------------------------------------------------------------- the editor


@pytest.mark.django_db
def test_section_page_shows_help_criteria_and_counter(client, cast):
    guidance = _guidance(cast.bid, limit=30, help_text_en="Name your <teams>.")
    first = CriterionFactory(call=cast.bid.call, name_en="Excellence", order=1)
    CriterionFactory(call=cast.bid.call, name_en="Not this one")
    guidance.criteria.set([first])
    BidSection.objects.create(
        bid=cast.bid, key="research", content="Twelve chars", updated_by=cast.coordinator
    )
    client.force_login(cast.editor)

    response = client.get(
        reverse("applications:bid_section", args=[cast.bid.public_id, "research"])
    )

    html = response.content.decode()
    assert "Name your &lt;teams&gt;." in html
    assert re.findall(r"<li>([^<]*)</li>", html.split('id="section-criteria"')[1])[:1] == [
        "Excellence"
    ]
    assert "Not this one" not in html
    assert 'data-limit="30" data-limit-unit="chars"' in html
    assert 'data-count="12"' in html
    assert "js/section_counter.js" in html
    assert 'aria-describedby="section-counter"' in html
    assert f"Last edited by {cast.coordinator.email}" in html


@pytest.mark.django_db
def test_section_page_without_guidance_has_no_counter(client, cast):
    client.force_login(cast.editor)

    response = client.get(
        reverse("applications:bid_section", args=[cast.bid.public_id, "research"])
    )

    assert b"section-counter" not in response.content
    assert b"section-guidance" not in response.content


@pytest.mark.django_db
def test_section_page_in_french_shows_french_help(client, cast):
    _guidance(cast.bid, help_text_fr="Décrivez vos équipes.")
    client.force_login(cast.reader)

    response = client.get(
        reverse("applications:bid_section", args=[cast.bid.public_id, "research"]),
        headers={"accept-language": "fr"},
    )

    assert "Décrivez vos équipes." in response.content.decode()


# --------------------------------------------------------------------------- the admin


@pytest.fixture
def admin_client_totp(client):
    administrator = AdministratorFactory(is_superuser=True)
    enable_totp(administrator)
    client.force_login(administrator)
    return client


@pytest.mark.django_db
def test_admin_saves_guidance_with_the_calls_criteria(admin_client_totp):
    call = CallFactory()
    criterion = CriterionFactory(call=call)

    response = admin_client_totp.post(
        reverse("admin:applications_sectionguidance_add"),
        {
            "call": call.pk,
            "section": "training",
            "help_text_en": "Degrees.",
            "help_text_fr": "Diplômes.",
            "limit": "500",
            "limit_unit": "words",
            "criteria": [criterion.pk],
        },
    )

    assert response.status_code == 302
    guidance = SectionGuidance.objects.get(call=call, section="training")
    assert list(guidance.criteria.all()) == [criterion]
    assert guidance.limit == 500


@pytest.mark.django_db
def test_admin_refuses_criteria_of_another_call(admin_client_totp):
    call = CallFactory()
    stray = CriterionFactory(call=CallFactory(slug="other-call"))

    response = admin_client_totp.post(
        reverse("admin:applications_sectionguidance_add"),
        {"call": call.pk, "section": "training", "limit_unit": "chars", "criteria": [stray.pk]},
    )

    assert response.status_code == 200
    assert "Choose criteria of this call only" in response.content.decode()
    assert not SectionGuidance.objects.exists()


@pytest.mark.django_db
def test_checklist_flags_a_section_over_a_limit_lowered_after_it_was_written(cast):
    from applications.queries import bid_checklist

    BidSection.objects.create(bid=cast.bid, key="research", content="one two three")
    _guidance(cast.bid, limit=2, limit_unit="words")

    item = next(i for i in bid_checklist(bid=cast.bid).items if i.code == "section:research")

    assert not item.ok
    assert item.detail == "This section is over its limit (3 for 2 words): shorten it."
