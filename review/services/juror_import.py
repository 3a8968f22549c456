"""Jurors imported in bulk from a CSV or XLSX table: parse, preview, then import at once.

A call of thousands of bids needs hundreds of jurors; typing them one by one is not an
option. The administrator uploads a table (one juror per row), the portal parses it and
checks every row against the database, and shows a preview naming each row's problems in
words. Nothing is written until the administrator confirms; the rows are then checked
again (the database may have moved on) and the valid ones imported in one transaction
with bulk inserts, whatever their number. The invitations leave through the mail task
after the commit, one per juror. Importing the same file again adds nothing twice: a
juror already on the call is skipped, one on the portal but not on the call is added.

Columns (header names in English or French, any order, case ignored): name, email,
country, affiliations (";"-separated, each optionally "Organisation (2019-2023)" or
"Organisation (2019-)"), expertise, keywords, languages, conflicts (";"-separated
acronyms (or public ids) of the call's bids: recorded as confirmed conflicts).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.models import Bid, Call, Membership
from applications.validators import validate_clean_text
from portal.transitions import check_transition
from review.models import Affiliation, AuditEvent, Conflict, JurorImport, JurorProfile
from review.services.audit import record_event
from review.services.jurors import send_invitation, set_password_path, set_password_url

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000

COLUMNS = (
    "name",
    "email",
    "country",
    "affiliations",
    "expertise",
    "keywords",
    "languages",
    "conflicts",
)
REQUIRED_COLUMNS = ("name", "email", "country")
_ALIASES = {
    "name": "name",
    "nom": "name",
    "display name": "name",
    "email": "email",
    "e-mail": "email",
    "courriel": "email",
    "adresse électronique": "email",
    "country": "country",
    "pays": "country",
    "affiliations": "affiliations",
    "affiliation": "affiliations",
    "expertise": "expertise",
    "keywords": "keywords",
    "mots-clés": "keywords",
    "mots clés": "keywords",
    "languages": "languages",
    "langues": "languages",
    "conflicts": "conflicts",
    "conflits": "conflicts",
    "conflicts of interest": "conflicts",
}
_AFFILIATION = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<start>\d{4})?\s*[-–]\s*(?P<end>\d{4})?\))?$")
_MAX_LENGTHS = {"name": 200, "country": 100, "keywords": 500, "languages": 200}

# What the confirm step does with a row (stored in the preview, recomputed at confirm).
NEW = "new"  # an account and a profile are created, the juror invited
ADDED = "added"  # a juror already on the portal joins the call
SKIPPED = "skipped"  # already a juror of this call: nothing to do
INVALID = "invalid"  # an error in the row: not imported

OUTCOME_LABELS = {
    NEW: gettext_lazy("New juror: account created and invited"),
    ADDED: gettext_lazy("Already a juror on the portal: joins this call"),
    SKIPPED: gettext_lazy("Already a juror of this call: nothing to do"),
    INVALID: gettext_lazy("Not imported"),
}


class UnreadableTable(ValueError):
    """The file is not a table the portal can read; the message says why."""


@dataclass
class JurorRow:
    number: int  # as the administrator sees it in their spreadsheet (header is row 1)
    values: dict[str, str]
    affiliations: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # bid acronyms or references
    errors: list[str] = field(default_factory=list)
    outcome: str = INVALID

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "values": self.values,
            "affiliations": self.affiliations,
            "conflicts": self.conflicts,
            "errors": self.errors,
            "outcome": self.outcome,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JurorRow:
        """The row as uploaded: affiliations, conflicts and errors are derived again."""
        return cls(number=data["number"], values=dict(data["values"]))


# --------------------------------------------------------------------------- reading


def read_table(data: bytes) -> list[list[str]]:
    """The cells of an XLSX (sniffed from its content) or CSV file, as text, row by row.

    Cells are never evaluated: a cell starting with "=" is kept as the text it shows.
    """
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableTable(
            _("The file is larger than %(size)s MB.") % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        )
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    return _read_csv(data)


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UnreadableTable(
            _("The file looks like a spreadsheet but cannot be opened as XLSX.")
        ) from error
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(["" if cell is None else _cell_text(cell) for cell in row])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def _cell_text(cell: object) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a year typed in a cell: 2019, not 2019.0
    return str(cell)


def _read_csv(data: bytes) -> list[list[str]]:
    if b"\x00" in data:
        raise UnreadableTable(_("The file is neither an XLSX spreadsheet nor a CSV text file."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves CSV in Windows-1252 unless asked otherwise.
        text = data.decode("cp1252", errors="replace")
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [
        row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)
    ]


def parse_rows(table: Sequence[Sequence[str]]) -> list[JurorRow]:
    """Rows keyed by column, with the errors that need no database (UnreadableTable when
    the header lacks a required column or there are too many rows)."""
    if not table:
        raise UnreadableTable(_("The file is empty."))
    header = [_ALIASES.get(cell.strip().casefold(), "") for cell in table[0]]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise UnreadableTable(
            _("The first row must name the columns; missing: %(columns)s.")
            % {"columns": ", ".join(missing)}
        )
    if len(table) - 1 > MAX_ROWS:
        raise UnreadableTable(
            _("The file has more than %(count)s rows; split it.") % {"count": MAX_ROWS}
        )
    rows = []
    for offset, cells in enumerate(table[1:], start=2):
        values = {column: "" for column in COLUMNS}
        for column, cell in zip(header, cells, strict=False):
            if column:
                values[column] = str(cell).strip()
        row = JurorRow(number=offset, values=values)
        _check_values(row)
        rows.append(row)
    return rows


def _check_values(row: JurorRow) -> None:
    values = row.values
    for column in REQUIRED_COLUMNS:
        if not values[column]:
            row.errors.append(_("The %(column)s is missing.") % {"column": _column_label(column)})
    for column, text in values.items():
        try:
            validate_clean_text(text)
        except ValidationError as error:
            row.errors.extend(f"{_column_label(column)}: {message}" for message in error.messages)
        limit = _MAX_LENGTHS.get(column)
        if limit is not None and len(text) > limit:
            row.errors.append(
                _("The %(column)s is longer than %(limit)s characters.")
                % {"column": _column_label(column), "limit": limit}
            )
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            row.errors.append(
                _("“%(email)s” is not a valid e-mail address.") % {"email": values["email"]}
            )
    for item in _split(values["affiliations"]):
        match = _AFFILIATION.match(item)
        name = (match.group("name") if match else item).strip()
        start = int(match.group("start")) if match and match.group("start") else None
        end = int(match.group("end")) if match and match.group("end") else None
        if start is not None and end is not None and end < start:
            row.errors.append(
                _("The affiliation with %(organisation)s ends before it starts.")
                % {"organisation": name}
            )
        row.affiliations.append({"organisation": name[:200], "start": start, "end": end})
    row.conflicts = _split(values["conflicts"])


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def _column_label(column: str) -> str:
    labels = {
        "name": _("name"),
        "email": _("e-mail address"),
        "country": _("country"),
        "affiliations": _("affiliations"),
        "expertise": _("expertise"),
        "keywords": _("keywords"),
        "languages": _("languages"),
        "conflicts": _("conflicts"),
    }
    return str(labels[column])


# --------------------------------------------------------------------------- checking


def check_rows(*, call: Call, rows: list[JurorRow]) -> list[JurorRow]:
    """Each row's outcome against the database, in a constant number of queries."""
    emails = {row.values["email"].casefold() for row in rows if row.values["email"]}
    users = _users_by_email(emails)
    member_ids = set(
        Membership.objects.filter(user_id__in=[user.pk for user in users.values()]).values_list(
            "user_id", flat=True
        )
    )
    jurors = {
        profile.user_id: profile
        for profile in JurorProfile.objects.filter(user__in=list(users.values()))
    }
    on_call = set(
        JurorProfile.objects.filter(
            pk__in=[juror.pk for juror in jurors.values()], calls=call
        ).values_list("pk", flat=True)
    )
    bids = _bids_by_label(call)
    seen: dict[str, int] = {}
    for row in rows:
        email = row.values["email"].casefold()
        if email and email in seen:
            row.errors.append(
                _("The e-mail address is already on row %(row)s of the file.")
                % {"row": seen[email]}
            )
        elif email:
            seen[email] = row.number
        user = users.get(email)
        if user is not None and user.pk in member_ids:
            row.errors.append(
                _(
                    "%(email)s belongs to a member of an institution; jurors need an account "
                    "of their own."
                )
                % {"email": row.values["email"]}
            )
        unknown = [label for label in row.conflicts if label.casefold() not in bids]
        if unknown:
            row.errors.append(
                _("No bid of this call has the acronym %(labels)s.")
                % {"labels": ", ".join(f"“{label}”" for label in unknown)}
            )
        if row.errors:
            row.outcome = INVALID
        elif user is None:
            row.outcome = NEW
        elif user.pk in jurors and jurors[user.pk].pk in on_call:
            row.outcome = SKIPPED
        elif user.pk in jurors:
            row.outcome = ADDED
        else:
            row.outcome = NEW  # an account without a juror profile: the profile is created
    return rows


def _users_by_email(emails: Iterable[str]) -> dict[str, User]:
    emails = list(emails)
    if not emails:
        return {}
    by_email: dict[str, User] = {}
    for user in User.objects.annotate(email_folded=Lower("email")).filter(email_folded__in=emails):
        by_email.setdefault(user.email.casefold(), user)
    for address in (
        EmailAddress.objects.select_related("user")
        .annotate(email_folded=Lower("email"))
        .filter(email_folded__in=emails)
    ):
        by_email.setdefault(address.email.casefold(), address.user)
    return by_email


def _bids_by_label(call: Call) -> dict[str, int]:
    """Bid pks by acronym (case ignored) and by public id."""
    labels: dict[str, int] = {}
    for pk, acronym, public_id in Bid.objects.filter(call=call).values_list(
        "pk", "acronym", "public_id"
    ):
        labels.setdefault(acronym.casefold(), pk)
        labels.setdefault(str(public_id).casefold(), pk)
    return labels


# --------------------------------------------------------------------------- the two steps


def preview_import(*, call: Call, data: bytes, filename: str, by: User) -> JurorImport:
    """Parse and check the file; store the preview. Raises ValidationError if unreadable."""
    try:
        rows = check_rows(call=call, rows=parse_rows(read_table(data)))
    except UnreadableTable as error:
        raise ValidationError({"file": str(error)}) from error
    return JurorImport.objects.create(
        call=call,
        filename=filename[:200],
        rows=[row.as_json() for row in rows],
        uploaded_by=by,
    )


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    added: int
    skipped: int
    invalid: int
    invited: tuple[int, ...] = ()  # profiles to e-mail: the caller enqueues the batch


def confirm_import(*, juror_import: JurorImport, by: User) -> ImportOutcome:
    """Import the valid rows of a previewed file, rows checked again.

    The caller enqueues ``task_send_import_invitations`` with ``outcome.invited`` on commit.
    """
    with transaction.atomic():
        juror_import = (
            JurorImport.objects.select_for_update().select_related("call").get(pk=juror_import.pk)
        )
        check_transition(juror_import, JurorImport.Status.IMPORTED)
        call = juror_import.call
        rows = [JurorRow.from_json(data) for data in juror_import.rows]
        for row in rows:
            _check_values(row)
        rows = check_rows(call=call, rows=rows)
        outcome = _import_rows(call=call, rows=rows, by=by)
        juror_import.rows = [row.as_json() for row in rows]
        juror_import.status = JurorImport.Status.IMPORTED
        juror_import.imported_by = by
        juror_import.imported_at = timezone.now()
        juror_import.save(update_fields=["rows", "status", "imported_by", "imported_at"])
        record_event(
            kind=AuditEvent.Kind.JURORS_IMPORTED,
            call=call,
            actor=by,
            payload={
                "file": juror_import.filename,
                "created": outcome.created,
                "added": outcome.added,
                "skipped": outcome.skipped,
                "invalid": outcome.invalid,
            },
        )
    return outcome


def discard_import(*, juror_import: JurorImport, by: User) -> None:
    check_transition(juror_import, JurorImport.Status.DISCARDED)
    juror_import.status = JurorImport.Status.DISCARDED
    juror_import.imported_by = by
    juror_import.save(update_fields=["status", "imported_by"])


def _import_rows(*, call: Call, rows: list[JurorRow], by: User) -> ImportOutcome:
    """Bulk inserts: the number of queries does not grow with the rows."""
    new_rows = [row for row in rows if row.outcome == NEW]
    added_rows = [row for row in rows if row.outcome == ADDED]
    users = _users_by_email(
        row.values["email"].casefold() for row in rows if row.outcome != INVALID
    )
    accounts = []
    for row in new_rows:
        if row.values["email"].casefold() in users:
            continue  # an account without a juror profile: reuse it
        user = User(username=row.values["email"].lower()[:150], email=row.values["email"])
        user.set_unusable_password()
        accounts.append(user)
    User.objects.bulk_create(accounts)
    created_users = _users_by_email(user.email.casefold() for user in accounts)
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(
                user=created_users[user.email.casefold()],
                email=user.email,
                verified=True,
                primary=True,
            )
            for user in accounts
        ]
    )
    users.update(created_users)
    profiles = [
        JurorProfile(
            user=users[row.values["email"].casefold()],
            display_name=row.values["name"],
            country=row.values["country"],
            expertise=row.values["expertise"],
            keywords=row.values["keywords"],
            languages=row.values["languages"],
        )
        for row in new_rows
    ]
    JurorProfile.objects.bulk_create(profiles)
    by_user = {
        profile.user_id: profile
        for profile in JurorProfile.objects.filter(
            user__in=[users[row.values["email"].casefold()] for row in [*new_rows, *added_rows]]
        ).select_related("user")
    }
    joined = [by_user[users[row.values["email"].casefold()].pk] for row in [*new_rows, *added_rows]]
    Through = JurorProfile.calls.through
    Through.objects.bulk_create(
        [Through(jurorprofile_id=profile.pk, call_id=call.pk) for profile in joined],
        ignore_conflicts=True,
    )
    Affiliation.objects.bulk_create(
        [
            Affiliation(
                juror=by_user[users[row.values["email"].casefold()].pk],
                organisation_name=item["organisation"],
                start_year=item["start"],
                end_year=item["end"],
            )
            for row in new_rows
            for item in row.affiliations
            if item["organisation"]
        ]
    )
    bids = _bids_by_label(call)
    now = timezone.now()
    Conflict.objects.bulk_create(
        [
            Conflict(
                juror=by_user[users[row.values["email"].casefold()].pk],
                bid_id=bids[label.casefold()],
                source=Conflict.Source.ADMINISTRATOR,
                kind=Conflict.Kind.OTHER,
                reason=_("Listed in the juror import of %(date)s.")
                % {"date": now.date().isoformat()},
                status=Conflict.Status.CONFIRMED,
                decided_by=by,
                decided_at=now,
            )
            for row in [*new_rows, *added_rows]
            for label in dict.fromkeys(row.conflicts)
        ],
        ignore_conflicts=True,  # the same conflict recorded before stays as it is
    )
    return ImportOutcome(
        created=len(new_rows),
        added=len(added_rows),
        skipped=sum(1 for row in rows if row.outcome == SKIPPED),
        invalid=sum(1 for row in rows if row.outcome == INVALID),
        invited=tuple(profile.pk for profile in joined),
    )


def send_import_invitations(*, call: Call, profile_ids: Sequence[int]) -> int:
    """E-mail every imported juror (run by a task after the import's commit): the one-time
    link to set a password costs queries per juror, which the import's request must not."""
    profiles = list(JurorProfile.objects.filter(pk__in=profile_ids).select_related("user"))
    for profile in profiles:
        password_url = ""  # a URL, empty for an account that has a password # nosec B105
        if not profile.user.has_usable_password():
            password_url = set_password_url(*set_password_path(profile.user))
        send_invitation(profile=profile, calls=[call], password_url=password_url, login_url=None)
    return len(profiles)


def template_table() -> list[list[str]]:
    """The header and one example row, for the downloadable template."""
    return [
        list(COLUMNS),
        [
            "Ada Lovelace",
            "ada.lovelace@example.org",
            "United Kingdom",
            "University of London (2015-2022); Analytical Engines Ltd (2022-)",
            "Machine learning theory, optimisation",
            "learning theory; optimisation; graphs",
            "English, French",
            "",
        ],
    ]
