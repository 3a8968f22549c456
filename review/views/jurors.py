"""Administrators invite and edit jurors; jurors edit their own expertise."""

import rules
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from applications.models import Call
from review.forms.jurors import (
    AffiliationFormSet,
    JurorInviteForm,
    JurorOwnProfileForm,
    JurorProfileAdminForm,
    affiliation_initial,
)
from review.mfa import jury_page
from review.models import Affiliation, JurorProfile
from review.services.jurors import invite_juror, update_juror, update_own_juror_profile


def check_administrator(request: HttpRequest, obj=None) -> None:
    # rules.has_perm, not user.has_perm: Django's ModelBackend grants superusers every
    # permission, which would skip the TOTP condition of the rule.
    if not rules.has_perm("jury.administer", request.user, obj):
        raise PermissionDenied


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@jury_page
def juror_list(request: HttpRequest) -> HttpResponse:
    check_administrator(request)
    jurors = (
        JurorProfile.objects.select_related("user")
        .prefetch_related(
            "calls",
            Prefetch("affiliations", queryset=Affiliation.objects.select_related("institution")),
        )
        .annotate(
            assignment_count=Count("assignments", distinct=True),
            has_totp=Exists(
                Authenticator.objects.filter(
                    user_id=OuterRef("user_id"), type=Authenticator.Type.TOTP
                )
            ),
        )
        .order_by("display_name")
    )
    return render(
        request,
        "review/jurors/list.html",
        {"jurors": jurors, "calls": Call.objects.exclude(status=Call.Status.DRAFT)},
    )


@jury_page
def juror_invite(request: HttpRequest) -> HttpResponse:
    check_administrator(request)
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
                by=request.user,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is invited; the e-mail with a link to set a password is on its way.")
                % {"name": juror.display_name},
            )
            return redirect("review:juror_list")
    return render(request, "review/jurors/invite.html", {"form": form, "formset": formset})


@jury_page
def juror_edit(request: HttpRequest, pk: int) -> HttpResponse:
    check_administrator(request)
    juror = get_object_or_404(JurorProfile.objects.select_related("user"), pk=pk)
    initial = {
        "display_name": juror.display_name,
        "country": juror.country,
        "expertise": juror.expertise,
        "keywords": juror.keywords,
        "languages": juror.languages,
        "calls": list(juror.calls.all()),
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
                by=request.user,
            )
        except ValidationError as error:
            _apply_errors(form, error)
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


@jury_page
def own_profile(request: HttpRequest) -> HttpResponse:
    juror = getattr(request.user, "juror_profile", None)
    if juror is None:
        raise PermissionDenied
    form = JurorOwnProfileForm(request.POST or None, instance=juror)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            update_own_juror_profile(
                juror=juror,
                expertise=data["expertise"],
                keywords=data["keywords"],
                languages=data["languages"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("review:juror_profile")
    affiliations = juror.affiliations.select_related("institution")
    return render(
        request,
        "review/jurors/profile.html",
        {"juror": juror, "form": form, "affiliations": affiliations},
    )
