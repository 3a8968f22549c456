"""Institution pages: registration, members, invitations."""

from typing import cast

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from applications.forms.institutions import (
    InstitutionForm,
    InstitutionLanguageForm,
    InvitationForm,
    MemberRoleForm,
)
from applications.invitations import forget_invitation, remember_invitation
from applications.models import Institution, Invitation, Membership
from applications.queries import memberships_of
from applications.rules import permission_required
from applications.services import institutions as services
from portal.forms import add_errors
from portal.users import acting_user


def _signed_in(request: HttpRequest) -> User:
    """The user of a ``login_required`` view (never anonymous there)."""
    return cast(User, request.user)


def _get_institution(request: HttpRequest, pk: int, **kwargs) -> Institution:
    return get_object_or_404(Institution, pk=pk)


@login_required
def my_institution(request: HttpRequest) -> HttpResponse:
    """The signed-in user's institution; the list of them when they belong to several; the
    registration form when they have none."""
    memberships = list(memberships_of(user=_signed_in(request)))
    if not memberships:
        return redirect("applications:institution_register")
    if len(memberships) == 1:
        return redirect("applications:institution_detail", pk=memberships[0].institution_id)
    return render(request, "applications/institutions/mine.html", {"memberships": memberships})


@login_required
def register(request: HttpRequest) -> HttpResponse:
    if Membership.objects.filter(user=_signed_in(request)).exists():
        messages.info(
            request,
            _("You already belong to an institution; ask its coordinator to invite colleagues."),
        )
        return redirect("applications:my_institution")
    form = InstitutionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            institution = services.register_institution(
                by=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Institution registered: you are its coordinator."))
            return redirect("applications:institution_detail", pk=institution.pk)
    return render(request, "applications/institutions/register.html", {"form": form})


def _detail_context(request: HttpRequest, institution: Institution, invite_form=None) -> dict:
    members = (
        Membership.objects.filter(institution=institution)
        .select_related("user")
        .order_by("role", "user__email")
    )
    pending = Invitation.objects.filter(institution=institution, accepted_at=None).select_related(
        "invited_by"
    )
    can_manage = rules.has_perm("institutions.manage", request.user, institution)
    now = timezone.now()
    return {
        "institution": institution,
        "members": members,
        "invitations": [
            (invitation, invitation.created_at + services.INVITATION_VALIDITY <= now)
            for invitation in pending
        ]
        if can_manage
        else [],
        "can_manage": can_manage,
        "invite_form": invite_form or InvitationForm(),
        "roles": Membership.Role.choices,
        "language_form": InstitutionLanguageForm(instance=institution),
    }


@permission_required("institutions.view", fn=_get_institution)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    institution = _get_institution(request, pk)
    return render(
        request, "applications/institutions/detail.html", _detail_context(request, institution)
    )


@require_POST
@permission_required("institutions.manage", fn=_get_institution)
def language(request: HttpRequest, pk: int) -> HttpResponse:
    """The language of the institution's decision letters."""
    institution = _get_institution(request, pk)
    form = InstitutionLanguageForm(request.POST, instance=Institution.objects.get(pk=pk))
    if form.is_valid():
        try:
            services.set_institution_language(
                institution=institution,
                language=form.cleaned_data["language"],
                by=acting_user(request),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, _("The institution's letters will be written in this language.")
            )
            return redirect("applications:institution_detail", pk=institution.pk)
    context = _detail_context(request, institution)
    context["language_form"] = form
    return render(request, "applications/institutions/detail.html", context, status=400)


@require_POST
@permission_required("institutions.manage", fn=_get_institution)
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    institution = _get_institution(request, pk)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invite_member(
                institution=institution,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=request.user,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("applications:institution_detail", pk=institution.pk)
    return render(
        request,
        "applications/institutions/detail.html",
        _detail_context(request, institution, invite_form=form),
    )


def _get_membership(request: HttpRequest, pk: int, membership_pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("institution", "user"),
        pk=membership_pk,
        institution_id=pk,
    )


def _membership_institution(request: HttpRequest, pk: int, membership_pk: int) -> Institution:
    return _get_membership(request, pk, membership_pk).institution


@require_POST
@permission_required("institutions.manage", fn=_membership_institution)
def change_role(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    membership = _get_membership(request, pk, membership_pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
    else:
        try:
            services.change_member_role(
                membership=membership, role=form.cleaned_data["role"], by=acting_user(request)
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(email)s is now %(role)s.")
                % {
                    "email": membership.user.email,
                    "role": Membership.Role(form.cleaned_data["role"]).label,
                },
            )
    return redirect("applications:institution_detail", pk=pk)


@require_http_methods(["GET", "POST"])
@permission_required("institutions.manage", fn=_membership_institution)
def remove_member(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    """GET: the confirmation step (a page, so it works without JavaScript); POST: remove."""
    membership = _get_membership(request, pk, membership_pk)
    if request.method == "GET":
        return render(
            request,
            "applications/institutions/remove_member.html",
            {"membership": membership, "institution": membership.institution},
        )
    try:
        services.remove_member(membership=membership, by=acting_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("applications:institution_detail", pk=pk)
    messages.success(
        request, _("%(email)s was removed from the institution.") % {"email": membership.user.email}
    )
    if membership.user_id == request.user.pk:
        return redirect("applications:dashboard")
    return redirect("applications:institution_detail", pk=pk)


def _invitation_institution(request: HttpRequest, pk: int, invitation_pk: int) -> Institution:
    return get_object_or_404(Institution, pk=pk)


@require_POST
@permission_required("institutions.manage", fn=_invitation_institution)
def revoke_invitation(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_pk, institution_id=pk)
    try:
        services.revoke_invitation(invitation=invitation, by=acting_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Invitation to %(email)s revoked.") % {"email": invitation.email}
        )
    return redirect("applications:institution_detail", pk=pk)


# A refused acceptance: wrong account → 403, link already used → 409, expired → 410.
_ACCEPT_ERROR_STATUS = {"wrong_email": 403, "used": 409, "already_member": 409, "expired": 410}


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Anyone may open a link; only the invited address can accept it.

    The token is the capability: an unknown token is a 404. A used or expired one shows why.
    Signed out, the page asks to sign in or create an account and keeps the token in the
    session, so the invitation is offered again right after (``applications.invitations``).
    Signed in with another address, the page says so and offers no "Accept".
    """
    invitation = get_object_or_404(
        Invitation.objects.select_related("institution", "invited_by"), token=token
    )
    error = None
    status = 200
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        try:
            services.check_invitation_usable(invitation=invitation)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            remember_invitation(request, invitation)
        return render(
            request,
            "applications/institutions/accept_invitation.html",
            {"invitation": invitation, "error": error, "next": request.get_full_path()},
        )
    if request.method == "POST":
        try:
            services.accept_invitation(invitation=invitation, by=acting_user(request))
        except ValidationError as exc:
            error = " ".join(exc.messages)
            status = _ACCEPT_ERROR_STATUS.get(exc.code or "", 400)
        else:
            forget_invitation(request)
            messages.success(
                request,
                _("Welcome: you are now a member of %(institution)s.")
                % {"institution": invitation.institution.name},
            )
            return redirect("applications:institution_detail", pk=invitation.institution_id)
    else:
        try:
            services.check_invitation_acceptable(invitation=invitation, by=acting_user(request))
        except ValidationError as exc:
            error = " ".join(exc.messages)
    return render(
        request,
        "applications/institutions/accept_invitation.html",
        {"invitation": invitation, "error": error},
        status=status,
    )
