"""Importing jurors from a CSV or XLSX table: parsing, the preview, the import, the pages."""

import io

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from review.models import AuditEvent, Conflict, JurorImport, JurorProfile
from review.services.juror_import import (
    ADDED,
    INVALID,
    NEW,
    SKIPPED,
    UnreadableTable,
    confirm_import,
    parse_rows,
    preview_import,
    read_table,
    send_import_invitations,
)
from tests.factories import BidFactory, CallFactory, JurorProfileFactory, MembershipFactory
from tests.review.jury_setup import administrator_with_totp, institution_member, juror_with_totp

HEADER = "name,email,country,affiliations,expertise,keywords,languages,conflicts\n"


def _csv(*lines: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(lines) + "\n").encode()


def _rows_csv(count: int, *, start: int = 0) -> bytes:
    return _csv(
        *(
            f"Juror {n},juror{n}@example.org,France,Lab {n} (2018-2023),vision,ml,English,"
            for n in range(start, start + count)
        )
    )


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


# ----------------------------------------------------------------------------- parsing


def test_csv_with_bom_semicolons_and_french_headers_is_read():
    data = "\ufeffNom;Courriel;Pays;Affiliations;Mots-clés\nÉlise Durand;e@x.fr;France;CNRS (2019-);robots\n"

    rows = parse_rows(read_table(data.encode("utf-8")))

    assert rows[0].values["name"] == "Élise Durand"
    assert rows[0].values["email"] == "e@x.fr"
    assert rows[0].values["keywords"] == "robots"
    assert rows[0].affiliations == [{"organisation": "CNRS", "start": 2019, "end": None}]
    assert rows[0].number == 2
    assert rows[0].errors == []


def test_windows_1252_csv_is_read():
    data = "name,email,country\nHélène Roux,h@x.fr,France\n".encode("cp1252")

    rows = parse_rows(read_table(data))

    assert rows[0].values["name"] == "Hélène Roux"


def test_xlsx_is_sniffed_from_its_content_and_formulas_stay_text():
    data = _xlsx([["Name", "E-mail", "Country", "Keywords"], ["Ana", "ana@x.org", "Spain", "=1+1"]])

    rows = parse_rows(read_table(data))

    assert rows[0].values["keywords"] == "=1+1"
    assert rows[0].values["country"] == "Spain"


def test_row_errors_are_named_in_words():
    rows = parse_rows(
        read_table(
            _csv(
                ",not-an-email,,Lab (2023-2019),,,,",
                "Bob,bob@x.org,France,,,,,",
            )
        )
    )

    errors = " ".join(rows[0].errors)
    assert "The name is missing." in errors
    assert "“not-an-email” is not a valid e-mail address." in errors
    assert "The country is missing." in errors
    assert "ends before it starts" in errors
    assert rows[1].errors == []


def test_unreadable_tables_are_refused_with_a_reason():
    with pytest.raises(UnreadableTable, match="missing: email, country"):
        parse_rows(read_table(b"name\nAda\n"))
    with pytest.raises(UnreadableTable, match="neither an XLSX"):
        read_table(b"\x00\x01binary")
    with pytest.raises(UnreadableTable, match="cannot be opened as XLSX"):
        read_table(b"PK\x03\x04 not really a zip")
    with pytest.raises(UnreadableTable, match="empty"):
        parse_rows(read_table(b""))


# ----------------------------------------------------------------------------- the service


@pytest.mark.django_db
def test_preview_checks_rows_against_the_database_and_writes_nothing():
    call = CallFactory()
    BidFactory(call=call, acronym="ALPHA")
    on_call = JurorProfileFactory()
    on_call.calls.add(call)
    elsewhere = JurorProfileFactory()
    member = MembershipFactory().user
    data = _csv(
        f"Old,{on_call.user.email},France,,,,,",
        f"Known,{elsewhere.user.email},France,,,,,ALPHA",
        f"Member,{member.email},France,,,,,",
        "New,new@example.org,France,,,,,ALPHA; ALPHA",
        "Twin,NEW@example.org,France,,,,,",
        "Ghost,ghost@example.org,France,,,,,NOPE",
    )
    users_before = User.objects.count()

    preview = preview_import(
        call=call, data=data, filename="jury.csv", by=administrator_with_totp()
    )

    outcomes = [row["outcome"] for row in preview.rows]
    assert outcomes == [SKIPPED, ADDED, INVALID, NEW, INVALID, INVALID]
    assert "already on row 5" in preview.rows[4]["errors"][0]
    assert "belongs to a member of an institution" in preview.rows[2]["errors"][0]
    assert "“NOPE”" in preview.rows[5]["errors"][0]
    assert User.objects.count() == users_before + 1  # the administrator only
    assert preview.status == JurorImport.Status.PREVIEWED


@pytest.mark.django_db
def test_confirm_imports_valid_rows_invites_and_records(django_capture_on_commit_callbacks):
    call = CallFactory()
    alpha = BidFactory(call=call, acronym="ALPHA")
    elsewhere = JurorProfileFactory()
    admin = administrator_with_totp()
    data = _csv(
        "Ada Lovelace,ada@example.org,UK,Univ. London (2015-2022); Engines Ltd (2022-),maths,ml,English,ALPHA",
        f"Known,{elsewhere.user.email},France,,,,,",
        ",broken,,,,,,",
    )
    preview = preview_import(call=call, data=data, filename="jury.csv", by=admin)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = confirm_import(juror_import=preview, by=admin)
    with django_capture_on_commit_callbacks(execute=True):
        send_import_invitations(call=call, profile_ids=outcome.invited)

    assert (outcome.created, outcome.added, outcome.skipped, outcome.invalid) == (1, 1, 0, 1)
    ada = JurorProfile.objects.get(user__email="ada@example.org")
    assert ada.display_name == "Ada Lovelace"
    assert set(ada.calls.all()) == {call}
    assert [
        (a.organisation_name, a.start_year, a.end_year)
        for a in ada.affiliations.order_by("organisation_name")
    ] == [
        ("Engines Ltd", 2022, None),
        ("Univ. London", 2015, 2022),
    ]
    assert not ada.user.has_usable_password()
    assert EmailAddress.objects.get(user=ada.user).verified is True
    conflict = Conflict.objects.get(juror=ada, bid=alpha)
    assert conflict.status == Conflict.Status.CONFIRMED
    assert conflict.decided_by == admin
    assert call in elsewhere.calls.all()
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        ["ada@example.org", elsewhere.user.email]
    )
    ada_mail = next(message for message in mail.outbox if message.to == ["ada@example.org"])
    assert "/password/reset/key/" in ada_mail.body
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.JURORS_IMPORTED)
    assert event.payload["created"] == 1
    assert event.call_id == call.pk
    preview.refresh_from_db()
    assert preview.status == JurorImport.Status.IMPORTED


@pytest.mark.django_db
def test_importing_the_same_file_twice_adds_nothing():
    call = CallFactory()
    admin = administrator_with_totp()
    first = confirm_import(
        juror_import=preview_import(call=call, data=_rows_csv(3), filename="a.csv", by=admin),
        by=admin,
    )
    assert len(first.invited) == 3

    again = confirm_import(
        juror_import=preview_import(call=call, data=_rows_csv(3), filename="a.csv", by=admin),
        by=admin,
    )

    assert (again.created, again.added, again.skipped) == (0, 0, 3)
    assert again.invited == ()
    assert JurorProfile.objects.count() == 3


@pytest.mark.django_db
def test_a_preview_is_imported_once():
    call = CallFactory()
    admin = administrator_with_totp()
    preview = preview_import(call=call, data=_rows_csv(1), filename="a.csv", by=admin)
    confirm_import(juror_import=preview, by=admin)

    with pytest.raises(Exception, match="cannot change"):
        confirm_import(juror_import=preview, by=admin)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [5, 50])
def test_import_queries_do_not_grow_with_the_rows(count, django_assert_max_num_queries):
    call = CallFactory()
    BidFactory(call=call, acronym="ALPHA")
    admin = administrator_with_totp()
    preview = preview_import(call=call, data=_rows_csv(count), filename="a.csv", by=admin)

    with django_assert_max_num_queries(40):
        confirm_import(juror_import=preview, by=admin)

    assert JurorProfile.objects.filter(calls=call).count() == count


# ----------------------------------------------------------------------------- pages


@pytest.fixture
def call():
    return CallFactory()


def _upload(data: bytes, name: str = "jury.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.mark.django_db
def test_pages_refuse_anonymous_member_and_juror(client, call):
    preview = preview_import(
        call=call, data=_rows_csv(1), filename="a.csv", by=administrator_with_totp()
    )
    urls = [
        reverse("review:juror_import"),
        reverse("review:juror_import_preview", args=[preview.pk]),
        reverse("review:juror_import_template", args=["csv"]),
    ]
    assert all(client.get(url)["Location"].startswith(reverse("account_login")) for url in urls)
    for user in (institution_member(bid=BidFactory(call=call)), juror_with_totp().user):
        client.force_login(user)
        assert {client.get(url).status_code for url in urls} == {403}
        assert client.post(urls[1], {"action": "import"}).status_code == 403
    preview.refresh_from_db()
    assert preview.status == JurorImport.Status.PREVIEWED


@pytest.mark.django_db
def test_upload_preview_and_confirm_through_the_pages(
    client, call, django_capture_on_commit_callbacks
):
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("review:juror_import"),
        {"call": call.pk, "file": _upload(_rows_csv(2) + b",bad,,,,,,\n")},
    )
    preview = JurorImport.objects.get()
    assert response["Location"] == reverse("review:juror_import_preview", args=[preview.pk])
    page = client.get(response["Location"]).content.decode()
    assert "juror0@example.org" in page
    assert "is not a valid e-mail address" in page
    assert "Import 2 jurors and send the invitations" in page

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(response["Location"], {"action": "import"}, follow=True)

    assert "2 new jurors invited" in done.content.decode()
    assert JurorProfile.objects.filter(calls=call).count() == 2
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_an_unreadable_file_re_renders_the_form_with_the_reason(client, call):
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("review:juror_import"), {"call": call.pk, "file": _upload(b"name\nAda\n")}
    )

    assert response.status_code == 400
    assert "missing: email, country" in response.content.decode()
    assert JurorImport.objects.count() == 0


@pytest.mark.django_db
def test_discarding_writes_nothing(client, call):
    admin = administrator_with_totp()
    client.force_login(admin)
    preview = preview_import(call=call, data=_rows_csv(2), filename="a.csv", by=admin)

    client.post(reverse("review:juror_import_preview", args=[preview.pk]), {"action": "discard"})

    preview.refresh_from_db()
    assert preview.status == JurorImport.Status.DISCARDED
    assert JurorProfile.objects.count() == 0


@pytest.mark.django_db
def test_templates_download_and_read_back(client):
    client.force_login(administrator_with_totp())

    csv_response = client.get(reverse("review:juror_import_template", args=["csv"]))
    xlsx_response = client.get(reverse("review:juror_import_template", args=["xlsx"]))

    assert parse_rows(read_table(csv_response.content))[0].errors == []
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    assert [cell.value for cell in sheet[1]][:3] == ["name", "email", "country"]
    assert client.get(reverse("review:juror_import_template", args=["exe"])).status_code == 404
