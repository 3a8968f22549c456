"""Administrators invite and edit jurors; jurors edit their own expertise."""

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from applications.models import Call
from applications.rules import permission_required
from portal.forms import add_errors
from portal.users import acting_user
from review.forms.jurors import (
    AffiliationFormSet,
    JurorInviteForm,
    JurorOwnProfileForm,
    JurorProfileAdminForm,
    affiliation_initial,
)
from review.models import Affiliation, JurorProfile
from review.services.jurors import invite_juror, update_juror, update_own_juror_profile


@permission_required("jury.administer")
def juror_list(request: HttpRequest) -> HttpResponse:
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
