"""Conflicts of interest: detection, declarations by jurors and institutions, decisions.

Sources of a ``Conflict``:
- detected (``detect_conflicts``): a juror affiliated with the lead or an accepted partner
  institution of a bid (or with a partner not on the portal, matched by name), now or with an affiliation that ended within the last
  ``RECENT_AFFILIATION_YEARS`` years; or a juror whose e-mail domain is (a subdomain of) an
  institution's ``email_domain``. Always *suggested*: an administrator decides.
- declared by the juror (``declare_conflict``): before opening a bid beyond its title and
  summary. A declared conflict is authoritative: the juror is removed at once.
- declared by the institution (``declare_institution_conflict``): the bid's coordinator or
  an editor names a person by e-mail; institutions must not learn who the jurors are, so
  the answer is the same whether or not that person is a juror. Every declaration is kept
  (``InstitutionConflictDeclaration``): it is matched against jurors at once, and again by
  ``detect_conflicts``, so that a juror invited later is caught. Always *suggested*.
- set by an administrator in the Django admin.

A confirmed conflict removes the juror from the bid everywhere: ``review.rules`` excludes
them, and their assignment (with its review) is deleted in the same transaction.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from allauth.account.models import EmailAddress
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Bid, Call, Institution, Partnership
from review.models import (
    Affiliation,
    Conflict,
    ConflictDeclaration,
    InstitutionConflictDeclaration,
    JurorProfile,
)
from review.services import audit
from review.services.assignments import delete_assignment_for_conflict
from review.services.staffing import notify_if_understaffed

logger = logging.getLogger(__name__)

RECENT_AFFILIATION_YEARS = 3


@dataclass(frozen=True)
class DetectionSummary:
    created: int
    updated: int
    removed: int
    kept_pinned: int


def _emails(juror: JurorProfile) -> set[str]:
    """The juror's addresses, lower-cased: the account's and allauth's (prefetched)."""
    addresses = juror.user.emailaddress_set.all()  # type: ignore[attr-defined] # allauth's reverse relation
    emails = {juror.user.email} | {address.email for address in addresses}
    return {email.strip().lower() for email in emails if "@" in email}


def _email_domains(juror: JurorProfile) -> set[str]:
    return {email.rsplit("@", 1)[1] for email in _emails(juror)}


def _domain_matches(domain: str, institution_domain: str) -> bool:
    return bool(institution_domain) and (
        domain == institution_domain or domain.endswith("." + institution_domain)
    )


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _affiliation_matches(affiliation: Affiliation, institution: Institution) -> bool:
    if affiliation.institution_id is not None:
        return affiliation.institution_id == institution.pk
    # An affiliation typed as free text still counts when it names the institution exactly.
    return _same_name(affiliation.organisation_name, institution.name)


def _names_match(affiliation: Affiliation, name: str) -> bool:
    """A partner not on the portal against an affiliation: by the organisation's name, or
    the name of the affiliated institution."""
    if _same_name(affiliation.organisation_name, name):
        return True
    return affiliation.institution is not None and _same_name(affiliation.institution.name, name)


def _call_jurors(*, call: Call) -> list[JurorProfile]:
    return list(
        JurorProfile.objects.filter(calls=call)
        .select_related("user")
        .prefetch_related(
            "user__emailaddress_set",
            "affiliations__institution",
        )
    )


def _findings(
    *, call: Call, jurors: list[JurorProfile], now: datetime
) -> dict[tuple[int, int, str], str]:
    """(juror id, bid id, kind) → reason, for every conflict the data suggests."""
    oldest_recent_year = now.year - RECENT_AFFILIATION_YEARS
    bids = list(
        Bid.objects.assessable()
        .filter(call=call)
        .select_related("lead_institution")
        .prefetch_related(
            Prefetch(
                "partnerships",
                queryset=Partnership.objects.accepted().select_related("institution"),
                to_attr="accepted_partnerships",
            ),
            "external_partners",
        )
    )
    findings: dict[tuple[int, int, str], list[str]] = defaultdict(list)
    for juror in jurors:
        recent = [
            affiliation
            for affiliation in juror.affiliations.all()
            if affiliation.end_year is None or affiliation.end_year >= oldest_recent_year
        ]
        domains = _email_domains(juror)
        for bid in bids:
            roles = [(bid.lead_institution, _("lead institution"))] + [
                (partnership.institution, _("partner"))
                for partnership in bid.accepted_partnerships  # type: ignore[attr-defined]  # prefetched above
            ]
            for institution, role in roles:
                for affiliation in recent:
                    if _affiliation_matches(affiliation, institution):
                        period = (
                            _("current affiliation")
                            if affiliation.end_year is None
                            else _("affiliation until %(year)s") % {"year": affiliation.end_year}
                        )
                        findings[(juror.pk, bid.pk, Conflict.Kind.AFFILIATION)].append(
                            _("%(period)s with %(institution)s (%(role)s)")
                            % {"period": period, "institution": institution.name, "role": role}
                        )
                for domain in sorted(domains):
                    if _domain_matches(domain, institution.email_domain):
                        findings[(juror.pk, bid.pk, Conflict.Kind.EMAIL_DOMAIN)].append(
                            _("e-mail domain %(domain)s of %(institution)s (%(role)s)")
                            % {"domain": domain, "institution": institution.name, "role": role}
                        )
            # Partners not on the portal have no account and no domain: matched by name.
            for external in bid.external_partners.all():
                for affiliation in recent:
                    if _names_match(affiliation, external.name):
                        period = (
                            _("current affiliation")
                            if affiliation.end_year is None
                            else _("affiliation until %(year)s") % {"year": affiliation.end_year}
                        )
                        findings[(juror.pk, bid.pk, Conflict.Kind.AFFILIATION)].append(
                            _("%(period)s with %(institution)s (%(role)s)")
                            % {
                                "period": period,
                                "institution": external.name,
                                "role": _("partner not on the portal"),
                            }
                        )
    return {key: "; ".join(reasons) for key, reasons in findings.items()}


def _institution_findings(
    *, call: Call, jurors: list[JurorProfile]
) -> dict[tuple[int, int], list[str]]:
    """(juror id, bid id) → the institutions' reasons, oldest first, for every stored
    declaration on a bid of the call that names one of the call's jurors."""
    jurors_by_email: dict[str, list[int]] = defaultdict(list)
    for juror in jurors:
        for email in _emails(juror):
            jurors_by_email[email].append(juror.pk)
    declarations = (
        InstitutionConflictDeclaration.objects.filter(bid__call=call)
        .order_by("declared_at", "pk")
        .values_list("bid_id", "email", "reason")
    )
    findings: dict[tuple[int, int], list[str]] = defaultdict(list)
    for bid_id, email, reason in declarations:
        for juror_id in jurors_by_email.get(email.lower(), []):
            if reason not in findings[(juror_id, bid_id)]:
                findings[(juror_id, bid_id)].append(reason)
    return findings


def _record_institution_reasons(
    *, conflict: Conflict | None, juror_id: int, bid_id: int, reasons: list[str]
) -> str:
    """Create or complete the institution-sourced conflict of a juror on a bid.

    Precondition: inside ``transaction.atomic()``, ``conflict`` (the existing one, if any)
    locked. Returns what happened: "created", "updated", "pinned" or "unchanged".

    Like detection: a pinned conflict is never touched; nothing new changes nothing, so
    running it again is harmless. A reason not recorded yet (a new declaration) is added;
    it sends a dismissed conflict back to *suggested* for a new decision, and leaves a
    confirmed one confirmed (more reasons do not lift a conflict).
    """
    if conflict is None:
        # get_or_create: a concurrent declaration may have created it since it was looked up.
        conflict, created = Conflict.objects.select_for_update().get_or_create(
            juror_id=juror_id,
            bid_id=bid_id,
            source=Conflict.Source.INSTITUTION,
            kind=Conflict.Kind.OTHER,
            defaults={"reason": "\n".join(reasons), "status": Conflict.Status.SUGGESTED},
        )
        if created:
            return "created"
    if conflict.pinned:
        return "pinned"
    # A reason counts as present when it is a whole block of lines of the stored text.
    missing = [reason for reason in reasons if f"\n{reason}\n" not in f"\n{conflict.reason}\n"]
    if not missing:
        return "unchanged"
    conflict.reason = "\n".join([r for r in [conflict.reason, *missing] if r])
    if conflict.status == Conflict.Status.DISMISSED:
        conflict.status = Conflict.Status.SUGGESTED
        conflict.decided_by = None
        conflict.decided_at = None
    conflict.save(update_fields=["reason", "status", "decided_by", "decided_at"])
    return "updated"


def detect_conflicts(*, call: Call, now: datetime | None = None) -> DetectionSummary:
    """Suggest conflicts from affiliations, e-mail domains and the institutions' declarations;
    safe to run any number of times.

    - A pinned conflict is never touched.
    - A detection still found keeps its status; if its reason changed (the facts changed),
      it goes back to *suggested* for a new decision.
    - A detection no longer found is removed, unless it was confirmed (a confirmed
      conflict is only lifted by an administrator, never silently).
    - A declaration by an institution naming a juror of the call (by any of their
      addresses, case-insensitively) becomes a suggested conflict (source institution),
      also when the juror was invited after the declaration. Such a conflict is never
      removed by detection: the declaration stands; an administrator dismisses it.
    """
    call.check_evaluation_open()
    now = now or timezone.now()
    jurors = _call_jurors(call=call)
    findings = _findings(call=call, jurors=jurors, now=now)
    institution_findings = _institution_findings(call=call, jurors=jurors)
    created = updated = removed = kept_pinned = 0
    with transaction.atomic():
        existing = {
            (conflict.juror_id, conflict.bid_id, conflict.kind): conflict
            for conflict in Conflict.objects.select_for_update().filter(
                bid__call=call, source=Conflict.Source.DETECTED
            )
        }
        for key, reason in findings.items():
            conflict = existing.get(key)
            if conflict is None:
                juror_id, bid_id, kind = key
                Conflict.objects.create(
                    juror_id=juror_id,
                    bid_id=bid_id,
                    kind=kind,
                    source=Conflict.Source.DETECTED,
                    reason=reason,
                    status=Conflict.Status.SUGGESTED,
                )
                created += 1
            elif conflict.pinned:
                kept_pinned += 1
            elif conflict.reason != reason:
                conflict.reason = reason
                conflict.status = Conflict.Status.SUGGESTED
                conflict.decided_by = None
                conflict.decided_at = None
                conflict.save(update_fields=["reason", "status", "decided_by", "decided_at"])
                updated += 1
        for key, conflict in existing.items():
            if key in findings:
                continue
            if conflict.pinned:
                kept_pinned += 1
            elif conflict.status != Conflict.Status.CONFIRMED:
                conflict.delete()
                removed += 1
        declared = {
            (conflict.juror_id, conflict.bid_id): conflict
            for conflict in Conflict.objects.select_for_update().filter(
                bid__call=call, source=Conflict.Source.INSTITUTION, kind=Conflict.Kind.OTHER
            )
        }
        for (juror_id, bid_id), reasons in institution_findings.items():
            outcome = _record_institution_reasons(
                conflict=declared.get((juror_id, bid_id)),
                juror_id=juror_id,
                bid_id=bid_id,
                reasons=reasons,
            )
            created += outcome == "created"
            updated += outcome == "updated"
            kept_pinned += outcome == "pinned"
    logger.info(
        "Conflict detection on call %s: %s created, %s updated, %s removed, %s pinned kept",
        call.pk,
        created,
        updated,
        removed,
        kept_pinned,
    )
    return DetectionSummary(
        created=created, updated=updated, removed=removed, kept_pinned=kept_pinned
    )


def _lock(conflict: Conflict) -> Conflict:
    """Precondition: inside ``transaction.atomic()``."""
    return Conflict.objects.select_for_update().select_related("bid", "juror").get(pk=conflict.pk)


def confirm_conflict(*, conflict: Conflict, by: User) -> Conflict:
    """Confirm: the juror leaves the bid; their assignment and review go in the same step."""
    conflict.bid.call.check_evaluation_open()
    with transaction.atomic():
        conflict = _lock(conflict)
        conflict.status = Conflict.Status.CONFIRMED
        conflict.decided_by = by
        conflict.decided_at = timezone.now()
        conflict.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record_conflict_decided(conflict=conflict, by=by)
        if delete_assignment_for_conflict(juror=conflict.juror, bid=conflict.bid, by=by):
            notify_if_understaffed(bid=conflict.bid)
    logger.info("User %s confirmed conflict %s", by.pk, conflict.pk)
    return conflict


def dismiss_conflict(*, conflict: Conflict, by: User, reason: str) -> Conflict:
    """Dismiss: the juror may stay on the bid; the reason is kept with the decision."""
    conflict.bid.call.check_evaluation_open()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Give the reason for dismissing this conflict: it is kept with it.")}
        )
    with transaction.atomic():
        conflict = _lock(conflict)
        conflict.status = Conflict.Status.DISMISSED
        conflict.decision_reason = reason
        conflict.decided_by = by
        conflict.decided_at = timezone.now()
        conflict.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
        audit.record_conflict_decided(conflict=conflict, by=by)
    logger.info("User %s dismissed conflict %s", by.pk, conflict.pk)
    return conflict


def set_conflict_pinned(
    *, conflict: Conflict, pinned: bool, by: User, reason: str = ""
) -> Conflict:
    """Pin (or unpin) a decision so that detection running again leaves it as it is.

    Pinning needs a reason (kept in ``pin_reason``): it overrides what detection will find.
    """
    conflict.bid.call.check_evaluation_open()
    reason = (reason or "").strip()
    if pinned and not reason:
        raise ValidationError(
            {"reason": _("Give the reason for pinning this decision against detection.")}
        )
    with transaction.atomic():
        conflict = _lock(conflict)
        if pinned and conflict.status == Conflict.Status.SUGGESTED:
            raise ValidationError(
                _("Confirm or dismiss this conflict before pinning the decision.")
            )
        conflict.pinned = pinned
        conflict.pin_reason = reason if pinned else ""
        conflict.decided_by = by
        conflict.decided_at = timezone.now()
        conflict.save(update_fields=["pinned", "pin_reason", "decided_by", "decided_at"])
        audit.record_conflict_decided(conflict=conflict, by=by, pinning=True)
    logger.info("User %s set conflict %s pinned=%s", by.pk, conflict.pk, pinned)
    return conflict


def declare_conflict(
    *, juror: JurorProfile, bid: Bid, has_conflict: bool, kind: str = "", reason: str = ""
) -> ConflictDeclaration:
    """Record a juror's declaration on a bid.

    "No conflict" may later be changed into a conflict (the juror discovers one while
    reading); a declared conflict is final. Declaring a conflict removes the juror from
    the bid: a confirmed ``Conflict`` (source juror) is recorded for the administrators,
    and the assignment and its review are deleted.
    """
    bid.call.check_evaluation_open()
    reason = reason.strip()
    if has_conflict:
        if kind not in Conflict.Kind.values:
            raise ValidationError({"kind": _("Choose the type of conflict.")})
        if not reason:
            raise ValidationError({"reason": _("Explain the conflict in a few words.")})
    else:
        kind, reason = "", ""
    with transaction.atomic():
        previous = (
            ConflictDeclaration.objects.select_for_update().filter(juror=juror, bid=bid).first()
        )
        if previous is not None and (previous.has_conflict or not has_conflict):
            raise ValidationError(_("You have already declared your position on this bid."))
        declaration = previous or ConflictDeclaration(juror=juror, bid=bid)
        declaration.has_conflict = has_conflict
        declaration.kind = kind
        declaration.reason = reason
        declaration.full_clean()
        declaration.save()
        if has_conflict:
            Conflict.objects.update_or_create(
                juror=juror,
                bid=bid,
                source=Conflict.Source.JUROR,
                kind=kind,
                defaults={
                    "reason": reason,
                    "status": Conflict.Status.CONFIRMED,
                    "decided_by": juror.user,
                    "decided_at": timezone.now(),
                },
            )
            if delete_assignment_for_conflict(juror=juror, bid=bid, by=juror.user):
                notify_if_understaffed(bid=bid)
    logger.info(
        "Juror %s declared %s on bid %s",
        juror.pk,
        "a conflict" if has_conflict else "no conflict",
        bid.pk,
    )
    return declaration


def declare_institution_conflict(
    *, bid: Bid, email: str, reason: str, by
) -> InstitutionConflictDeclaration:
    """The bid's institution names someone it considers conflicted, by e-mail.

    The declaration is always stored. If the address belongs to a juror (of this call or
    not yet), a suggested conflict is recorded for the administrators at once; a juror
    invited later is matched by ``detect_conflicts``. Nothing tells the caller whether it
    matched: institutions must not learn who the jurors are (the returned declaration is
    the same either way).
    """
    bid.call.check_evaluation_open()
    reason = reason.replace("\r\n", "\n").strip()
    declaration = InstitutionConflictDeclaration(
        bid=bid, email=email.strip(), reason=reason, declared_by=by
    )
    if not declaration.email or not reason:
        raise ValidationError(_("Give the person's e-mail address and the reason."))
    declaration.full_clean()  # lower-cases the address
    user_ids = EmailAddress.objects.filter(email__iexact=declaration.email).values("user_id")
    jurors = JurorProfile.objects.filter(
        Q(user__email__iexact=declaration.email) | Q(user__in=user_ids)
    )
    with transaction.atomic():
        declaration.save()
        for juror in jurors:
            _record_institution_reasons(
                conflict=Conflict.objects.select_for_update()
                .filter(
                    juror=juror,
                    bid=bid,
                    source=Conflict.Source.INSTITUTION,
                    kind=Conflict.Kind.OTHER,
                )
                .first(),
                juror_id=juror.pk,
                bid_id=bid.pk,
                reasons=[reason],
            )
    # The log records the declaration either way, without saying whether it matched.
    logger.info("User %s declared a conflict on bid %s", by.pk, bid.pk)
    return declaration
