"""The French catalogs are complete, and pages switch to French with the language cookie."""

import ast
import gettext
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from applications.models import Bid, Membership
from review.queries.criteria import criteria_of
from tests.factories import (
    BidFactory,
    CallFactory,
    CriterionFactory,
    InstitutionFactory,
    MembershipFactory,
)

LOCALE = Path(settings.BASE_DIR) / "locale"
FRENCH_CATALOGS = [
    LOCALE / "fr" / "LC_MESSAGES" / "django.po",
    LOCALE / "fr" / "LC_MESSAGES" / "djangojs.po",
]
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]|%%")


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: {'flags': set, 'msgid': str, 'msgid_plural': str, 'msgstr': [...]}.

    A tiny reader for the subset makemessages writes: comments, keywords with quoted strings,
    continuation lines. Obsolete entries (#~) are skipped.
    """
    entries: list[dict] = []
    entry: dict | None = None
    key: str | None = None

    def start() -> dict:
        new = {"flags": set(), "msgid": "", "msgid_plural": "", "msgstr": {}}
        entries.append(new)
        return new

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            entry, key = None, None
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            entry = entry or start()
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            entry = entry or start()
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$', line)
        if match:
            entry = entry or start()
            keyword, index, text = match.groups()
            if keyword.startswith("msgstr"):
                key = f"msgstr{int(index or 0)}"
                entry["msgstr"][int(index or 0)] = ast.literal_eval(text)
            else:
                key = keyword
                entry[keyword] = ast.literal_eval(text)
            continue
        assert line.startswith('"'), f"{path}: unexpected line {raw!r}"
        assert entry is not None
        assert key is not None
        if key.startswith("msgstr"):
            entry["msgstr"][int(key[6:])] += ast.literal_eval(line)
        else:
            entry[key] += ast.literal_eval(line)
    return entries


def messages(path: Path) -> list[dict]:
    """The translatable entries (the header, msgid "", left out)."""
    return [entry for entry in read_po(path) if entry["msgid"]]


@pytest.mark.parametrize("path", FRENCH_CATALOGS, ids=lambda path: path.name)
def test_french_catalog_has_no_empty_translation(path):
    empty = [entry["msgid"] for entry in messages(path) if not all(entry["msgstr"].values())]

    assert empty == []


@pytest.mark.parametrize("path", FRENCH_CATALOGS, ids=lambda path: path.name)
def test_french_catalog_has_no_fuzzy_entry(path):
    fuzzy = [entry["msgid"] for entry in read_po(path) if "fuzzy" in entry["flags"]]

    assert fuzzy == []


@pytest.mark.parametrize("path", FRENCH_CATALOGS, ids=lambda path: path.name)
def test_french_catalog_plurals_have_two_forms(path):
    plurals = [entry for entry in messages(path) if entry["msgid_plural"]]

    assert [sorted(entry["msgstr"]) for entry in plurals] == [[0, 1]] * len(plurals)


@pytest.mark.parametrize("path", FRENCH_CATALOGS, ids=lambda path: path.name)
def test_french_catalog_keeps_placeholders(path):
    mismatched = [
        entry["msgid"]
        for entry in messages(path)
        if sorted(PLACEHOLDER.findall(entry["msgid_plural"] or entry["msgid"]))
        != sorted(PLACEHOLDER.findall(entry["msgstr"][max(entry["msgstr"])]))
    ]

    assert mismatched == []


@pytest.mark.parametrize("path", FRENCH_CATALOGS, ids=lambda path: path.name)
def test_french_catalog_compiled_mo_matches_po(path):
    with path.with_suffix(".mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]  # private: the raw entries, undeclared in typeshed

    def key(entry: dict) -> str:
        # gettext keys an entry with a context as "context\x04msgid".
        context = entry.get("msgctxt")
        return f"{context}\x04{entry['msgid']}" if context else entry["msgid"]

    stale = [
        entry["msgid"]
        for entry in messages(path)
        if (
            [catalog.get((key(entry), n)) for n in sorted(entry["msgstr"])]
            if entry["msgid_plural"]
            else [catalog.get(key(entry))]
        )
        != [entry["msgstr"][n] for n in sorted(entry["msgstr"])]
    ]

    assert stale == []


def test_french_catalog_header_has_french_plural_forms():
    header = read_po(FRENCH_CATALOGS[0])[0]

    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header["msgstr"][0]


@pytest.fixture
def french(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client


@pytest.mark.django_db
def test_home_in_french_with_language_cookie(french):
    CallFactory(title_en="AI clusters", title_fr="Clusters IA")

    response = french.get(reverse("home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert "Appels à projets" in html
    assert "Se connecter" in html


@pytest.mark.django_db
def test_home_in_english_without_cookie(client):
    response = client.get(reverse("home"))

    html = response.content.decode()
    assert "Calls for projects" in html
    assert "Appels à projets" not in html


@pytest.mark.django_db
def test_home_in_french_with_accept_language(client):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="fr")

    assert "Appels à projets" in response.content.decode()


@pytest.mark.django_db
def test_login_page_in_french(french):
    response = french.get(reverse("account_login"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Portail IA-cluster" in html
    assert "Toutes les heures sont affichées en heure de Paris" in html


@pytest.mark.django_db
def test_bids_dashboard_in_french_for_institution_member(french):
    institution = InstitutionFactory()
    user = MembershipFactory(institution=institution, role=Membership.Role.COORDINATOR).user
    BidFactory(lead_institution=institution, acronym="LYON-IA", status=Bid.Status.DRAFT)
    french.force_login(user)

    response = french.get(reverse("applications:dashboard"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Mes projets" in html
    assert "LYON-IA" in html
    assert "Brouillon" in html
    assert "Votre rôle" in html


@pytest.mark.django_db
def test_javascript_catalog_in_french(french):
    response = french.get(reverse("javascript-catalog"))

    text = response.content.decode()
    assert response.status_code == 200
    assert "Cl\\u00f4ture dans %s" in text or "Clôture dans %s" in text


@pytest.mark.django_db
def test_default_scale_descriptors_shown_in_french():
    call = CallFactory()
    CriterionFactory(call=call)

    with translation.override("fr"):
        (criterion,) = criteria_of(call)

    assert dict(criterion.descriptors)[Decimal(4)] == "Très bien"
    assert dict(criterion.descriptors)[Decimal(0)] == "Ne répond pas au critère"


@pytest.mark.django_db
def test_custom_scale_descriptors_shown_as_typed():
    call = CallFactory()
    CriterionFactory(call=call, descriptors={"0": "Nothing", "5": "Outstanding", "3": ""})

    with translation.override("fr"):
        (criterion,) = criteria_of(call)

    assert criterion.descriptors == [
        (Decimal(0), "Nothing"),
        (Decimal(3), ""),
        (Decimal(5), "Outstanding"),
    ]
