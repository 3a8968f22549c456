"""Administrators invite, import and edit jurors; jurors edit their own expertise."""

import csv
import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from applications.models import Call
from applications.rules import permission_required
from portal import queue
from portal.forms import add_errors
from portal.pagination import paginate
from portal.users import acting_user
from review.forms.jurors import (
    AffiliationFormSet,
    JurorImportForm,
    JurorInviteForm,
    JurorListFilterForm,
    JurorOwnProfileForm,
    JurorProfileAdminForm,
    affiliation_initial,
)
from review.models import JurorImport, JurorProfile
from review.queries.jurors import juror_rows
from review.services.juror_import import (
    ADDED,
    NEW,
    OUTCOME_LABELS,
    confirm_import,
    discard_import,
    preview_import,
    template_table,
)
from review.services.jurors import invite_juror, update_juror, update_own_juror_profile
from review.tasks import task_send_import_invitations


@permission_required("jury.administer")
def juror_list(request: HttpRequest) -> HttpResponse:
    """One page of the jurors (2 000 in a large call), searched and sorted in SQL."""
    filters = JurorListFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    jurors = juror_rows(text=criteria.get("text", ""), sort=criteria.get("sort", ""))
    return render(
        request,
        "review/jurors/list.html",
        {
            "page": paginate(request, jurors),
            "filters": filters,
            "calls": Call.objects.exclude(status=Call.Status.DRAFT),
        },
    )


@permission_required("jury.administer")
def juror_invite(request: HttpRequest) -> HttpResponse:
    form = JurorInviteForm(request.POST or None)
    formset = AffiliationFormSet(request.POST or None, prefix="affiliations")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            juror = invite_juror(
                email=data["email"],
                display_name=data["display_name"],
                country=data["country"],
                expertise=data["expertise"],
                keywords=data["keywords"],
                languages=data["languages"],
                calls=list(data["calls"]),
                affiliations=formset.affiliations(),
                listed_publicly=data["listed_publicly"],
                by=acting_user(request),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is invited; the e-mail with a link to set a password is on its way.")
                % {"name": juror.display_name},
            )
            return redirect("review:juror_list")
    return render(request, "review/jurors/invite.html", {"form": form, "formset": formset})


@permission_required("jury.administer")
def juror_edit(request: HttpRequest, pk: int) -> HttpResponse:
    juror = get_object_or_404(JurorProfile.objects.select_related("user"), pk=pk)
    initial = {
        "display_name": juror.display_name,
        "country": juror.country,
        "expertise": juror.expertise,
        "keywords": juror.keywords,
        "languages": juror.languages,
        "calls": list(juror.calls.all()),
        "listed_publicly": juror.listed_publicly,
    }
    form = JurorProfileAdminForm(request.POST or None, initial=initial)
    formset = AffiliationFormSet(
        request.POST or None, prefix="affiliations", initial=affiliation_initial(juror)
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            update_juror(
                juror=juror,
                display_name=data["display_name"],
                country=data["country"],
                expertise=data["expertise"],
                keywords=data["keywords"],
                languages=data["languages"],
                calls=list(data["calls"]),
                affiliations=formset.affiliations(),
                listed_publicly=data["listed_publicly"],
                by=acting_user(request),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Profile saved. Run conflict detection again on the juror's calls if "
                    "affiliations changed."
                ),
            )
            return redirect("review:juror_list")
    return render(
        request, "review/jurors/edit.html", {"juror": juror, "form": form, "formset": formset}
    )


@permission_required("jury.edit_own_profile")
def own_profile(request: HttpRequest) -> HttpResponse:
    juror = request.user.juror_profile  # type: ignore[union-attr]  # the rule requires a juror
    form = JurorOwnProfileForm(request.POST or None, instance=juror)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            update_own_juror_profile(
                juror=juror,
                expertise=data["expertise"],
                keywords=data["keywords"],
                languages=data["languages"],
                listed_publicly=data["listed_publicly"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("review:juror_profile")
    affiliations = juror.affiliations.select_related("institution")
    return render(
        request,
        "review/jurors/profile.html",
        {"juror": juror, "form": form, "affiliations": affiliations},
    )


@permission_required("jury.administer")
def juror_import(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a table; its rows are checked and shown before anything is written."""
    form = JurorImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            preview = preview_import(
                call=form.cleaned_data["call"],
                data=upload.read(),
                filename=upload.name,
                by=acting_user(request),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            return redirect("review:juror_import_preview", preview.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "review/jurors/import.html", {"form": form}, status=status)


@permission_required("jury.administer")
def juror_import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: every row with its problems; confirming imports the valid ones."""
    juror_import = get_object_or_404(JurorImport.objects.select_related("call"), pk=pk)
    if request.method == "POST":
        by = acting_user(request)
        try:
            if request.POST.get("action") == "discard":
                discard_import(juror_import=juror_import, by=by)
                messages.info(request, _("The import was discarded; nothing was written."))
                return redirect("review:juror_import")
            outcome = confirm_import(juror_import=juror_import, by=by)
            if outcome.invited:
                queue.publish_on_commit(
                    task_send_import_invitations,
                    call_id=juror_import.call_id,
                    profile_ids=list(outcome.invited),
                )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("review:juror_import_preview", juror_import.pk)
        messages.success(
            request,
            _(
                "%(created)s new jurors invited, %(added)s added to the call, %(skipped)s "
                "already on it, %(invalid)s rows not imported."
            )
            % {
                "created": outcome.created,
                "added": outcome.added,
                "skipped": outcome.skipped,
                "invalid": outcome.invalid,
            },
        )
        return redirect("review:juror_list")
    rows = juror_import.rows
    counts = {
        outcome: sum(1 for row in rows if row["outcome"] == outcome) for outcome in OUTCOME_LABELS
    }
    return render(
        request,
        "review/jurors/import_preview.html",
        {
            "juror_import": juror_import,
            "rows": [{**row, "outcome_label": OUTCOME_LABELS[row["outcome"]]} for row in rows],
            "counts": counts,
            "ready": counts[NEW] + counts[ADDED],
        },
    )


@permission_required("jury.administer")
def juror_import_template(request: HttpRequest, extension: str) -> HttpResponse:
    """The empty table to fill in, as CSV or XLSX."""
    if extension not in {"csv", "xlsx"}:
        raise Http404
    table = template_table()
    if extension == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(table)
        response = HttpResponse(
            "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
        )
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("jurors")
        for row in table:
            sheet.append(row)
        stream = io.BytesIO()
        workbook.save(stream)
        response = HttpResponse(
            stream.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="jurors-template.{extension}"'
    return response
