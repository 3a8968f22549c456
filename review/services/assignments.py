"""Who reviews which bid: manual assignment, rapporteurs, and automatic proposals.

The automatic assignment is computed by the pure optimiser in ``review.assignment``
(integer programme on HiGHS, TF-IDF similarity between the jurors' expertise and the
bids' summaries, connectivity of the jurors through shared bids). A proposal is computed
in a Celery task (``review.tasks.task_compute_assignment``), previewed, then saved: saving
replaces the call's assignments, keeping the pairs (and their reviews) that stay.
"""

import logging
from collections import defaultdict
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from applications.models import Bid, BidSection, Call
from portal.mail import absolute_url, send_templated_mail
from review.assignment import (
    AssignmentResult,
    AssignmentSolverError,
    BidInput,
    InfeasibleAssignmentError,
    JurorInput,
    assign_jurors,
)
from review.models import Assignment, AssignmentProposal, JurorProfile
from review.queries.assignments import blocked_pairs
from review.services import proposal_index

logger = logging.getLogger(__name__)

SOLVER_TIME_LIMIT_SECONDS = 120.0


def delete_assignment_for_conflict(*, juror: JurorProfile, bid: Bid, by: User) -> bool:
    """Remove the juror's assignment on the bid (and its review, by cascade); return whether
    there was one.

    Precondition: inside ``transaction.atomic()``, called by the service that records the
    conflict. The deletion is logged here and in the audit trail.
    """
    assignment = Assignment.objects.select_for_update().filter(juror=juror, bid=bid).first()
    if assignment is None:
        return False
    review = getattr(assignment, "review", None)
    logger.warning(
        "Conflict: user %s removed assignment %s (juror %s, bid %s)%s",
        getattr(by, "pk", None),
        assignment.pk,
        juror.pk,
        bid.pk,
        f" and its {review.status} review {review.pk}" if review is not None else "",
    )
    assignment.delete()
    return True


def _dashboard_url() -> str:
    return absolute_url(reverse("review:juror_dashboard"))


def _check_assignable(*, bid: Bid, juror: JurorProfile) -> None:
    if not Bid.objects.assessable().filter(call=bid.call, pk=bid.pk).exists():
        raise ValidationError(
            _("%(bid)s cannot be assigned: only submitted bids not found ineligible are.")
            % {"bid": bid.acronym}
        )
    if not juror.calls.filter(pk=bid.call_id).exists():
        raise ValidationError(
            _("%(juror)s is not on this call's jury; add the call to their profile first.")
            % {"juror": juror.display_name}
        )
    reason = blocked_pairs(call=bid.call).get((juror.pk, bid.pk))
    if reason is not None:
        raise ValidationError(
            _("%(juror)s cannot review %(bid)s: %(reason)s.")
            % {"juror": juror.display_name, "bid": bid.acronym, "reason": reason}
        )


def assign_juror(*, bid: Bid, juror: JurorProfile, by: User) -> Assignment:
    """Assign one juror to one bid by hand; refused for conflicted pairs. The juror is
    e-mailed the bid added to their list (after commit)."""
    bid.call.check_evaluation_open()
    with transaction.atomic():
        _check_assignable(bid=bid, juror=juror)
        if Assignment.objects.filter(bid=bid, juror=juror).exists():
            raise ValidationError(
                _("%(juror)s is already assigned to %(bid)s.")
                % {"juror": juror.display_name, "bid": bid.acronym}
            )
        assignment = Assignment(bid=bid, juror=juror, assigned_by=by)
        assignment.full_clean()
        assignment.save()
        _email_assignment_changes(
            call=bid.call, changes={juror.pk: ({bid.pk}, set())}, dashboard_url=_dashboard_url()
        )
    logger.info("User %s assigned juror %s to bid %s", by.pk, juror.pk, bid.pk)
    return assignment


def unassign_juror(*, assignment: Assignment, by: User) -> None:
    """Remove a juror from a bid; refused once they have submitted their review. The juror
    is e-mailed the bid removed from their list (after commit)."""
    assignment.bid.call.check_evaluation_open()
    with transaction.atomic():
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
        review = getattr(assignment, "review", None)
        if review is not None and review.status == review.Status.SUBMITTED:
            raise ValidationError(
                _(
                    "%(juror)s has submitted a review of %(bid)s; removing them would "
                    "discard it. Reopen the review first if it must go."
                )
                % {"juror": assignment.juror.display_name, "bid": assignment.bid.acronym}
            )
        assignment.delete()
        _email_assignment_changes(
            call=assignment.bid.call,
            changes={assignment.juror_id: (set(), {assignment.bid_id})},
            dashboard_url=_dashboard_url(),
        )
    logger.info(
        "User %s removed juror %s from bid %s", by.pk, assignment.juror_id, assignment.bid_id
    )


def set_rapporteur(*, assignment: Assignment, by: User) -> Assignment:
    """Make this assigned juror the bid's rapporteur (one per bid: the previous one steps down)."""
    assignment.bid.call.check_evaluation_open()
    with transaction.atomic():
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
        others = Assignment.objects.select_for_update().filter(
            bid_id=assignment.bid_id, is_rapporteur=True
        )
        others.exclude(pk=assignment.pk).update(is_rapporteur=False)
        assignment.is_rapporteur = True
        assignment.save(update_fields=["is_rapporteur"])
    logger.info("User %s made assignment %s the rapporteur", by.pk, assignment.pk)
    return assignment


# Automatic assignment ---------------------------------------------------------------


def request_assignment_proposal(
    *, call: Call, jurors_per_bid: int, min_load: int, max_load: int, by
) -> AssignmentProposal:
    """Record a proposal to compute; the caller enqueues ``task_compute_assignment``."""
    call.check_evaluation_open()
    proposal = AssignmentProposal(
        call=call,
        jurors_per_bid=jurors_per_bid,
        min_load=min_load,
        max_load=max_load,
        created_by=by,
    )
    if min_load > max_load:
        raise ValidationError({"min_load": _("The minimum load is above the maximum load.")})
    if jurors_per_bid < 1:
        raise ValidationError({"jurors_per_bid": _("Each bid needs at least one juror.")})
    proposal.full_clean()
    proposal.save()
    logger.info("User %s requested assignment proposal %s", by.pk, proposal.pk)
    return proposal


def _set_progress(proposal: AssignmentProposal, *, status: str, progress: int) -> None:
    proposal.status = status
    proposal.progress = progress
    # Written outside any transaction so that the preview page sees it while the task runs.
    AssignmentProposal.objects.filter(pk=proposal.pk).update(status=status, progress=progress)


def _result_json(result: AssignmentResult) -> dict[str, Any]:
    return {
        "pairs": [
            {
                "juror": pair.juror_id,
                "bid": pair.bid_id,
                "similarity": round(pair.similarity, 6),
                "pinned": pair.pinned,
            }
            for pair in result.pairs
        ],
        "mean_similarity": result.mean_similarity,
        "total_similarity": result.total_similarity,
        "load": {str(juror_id): load for juror_id, load in result.load.items()},
        "connected": result.connected,
        "juror_components": [list(group) for group in result.juror_components],
        "idle_jurors": list(result.idle_jurors),
        "notes": list(result.notes),
        "solver_rounds": result.solver_rounds,
        "upper_bound": result.upper_bound,
    }


def compute_assignment_proposal(*, proposal: AssignmentProposal) -> AssignmentProposal:
    """Run the optimiser for a pending proposal and store its result (or why it failed).

    Safe to run twice: a proposal already computed is left alone; one left *running* by a
    worker that died is computed again from scratch.
    """
    if proposal.status not in (
        AssignmentProposal.Status.PENDING,
        AssignmentProposal.Status.RUNNING,
    ):
        return proposal
    _set_progress(proposal, status=AssignmentProposal.Status.RUNNING, progress=10)
    call = proposal.call
    bids = list(
        Bid.objects.assessable().filter(call=call).select_related("lead_institution").order_by("pk")
    )
    summaries = dict(
        BidSection.objects.filter(bid__in=bids, key=BidSection.Key.SUMMARY).values_list(
            "bid_id", "content"
        )
    )
    jurors = list(JurorProfile.objects.filter(calls=call).order_by("pk"))
    bid_ids = {bid.pk for bid in bids}
    juror_ids = {juror.pk for juror in jurors}
    # Work already started is kept: pairs whose review exists are pinned.
    pinned = [
        pair
        for pair in Assignment.objects.filter(bid__call=call, review__isnull=False).values_list(
            "juror_id", "bid_id"
        )
        if pair[0] in juror_ids and pair[1] in bid_ids
    ]
    conflicts = list(blocked_pairs(call=call))
    _set_progress(proposal, status=AssignmentProposal.Status.RUNNING, progress=30)

    error = ""
    result_json: dict[str, Any] | None
    if not bids or not jurors:
        error = _(
            "There is nothing to assign: the call has %(bids)s bids and %(jurors)s jurors."
        ) % {
            "bids": len(bids),
            "jurors": len(jurors),
        }
        result_json = {"infeasible": [{"code": "empty", "message": error, "params": {}}]}
    else:
        try:
            result = assign_jurors(
                bids=[
                    BidInput(
                        id=bid.pk,
                        text=f"{bid.title}\n{summaries.get(bid.pk, '')}",
                        label=bid.acronym,
                    )
                    for bid in bids
                ],
                jurors=[
                    JurorInput(
                        id=juror.pk,
                        expertise=f"{juror.expertise}\n{juror.keywords}",
                        min_load=proposal.min_load,
                        max_load=proposal.max_load,
                        label=juror.display_name,
                    )
                    for juror in jurors
                ],
                conflicts=conflicts,
                pinned=pinned,
                jurors_per_bid=proposal.jurors_per_bid,
                time_limit_seconds=SOLVER_TIME_LIMIT_SECONDS,
            )
        except InfeasibleAssignmentError as infeasible:
            error = str(infeasible)
            result_json = {
                "infeasible": [
                    {"code": reason.code, "message": reason.message, "params": reason.params}
                    for reason in infeasible.reasons
                ]
            }
        except AssignmentSolverError as solver_error:
            error = str(solver_error)
            result_json = None
        else:
            result_json = _result_json(result)
    proposal.result = result_json
    proposal.error = error
    proposal.status = AssignmentProposal.Status.FAILED if error else AssignmentProposal.Status.READY
    proposal.progress = 100
    proposal.save(update_fields=["result", "error", "status", "progress"])
    proposal_index.index_proposal_result(proposal_id=proposal.pk)
    logger.info("Assignment proposal %s computed: %s", proposal.pk, proposal.status)
    return proposal


def save_assignment_proposal(
    *, proposal: AssignmentProposal, by, dashboard_url: str | None = None
) -> list[Assignment]:
    """Replace the call's assignments by the proposal's and e-mail the jurors whose list
    changed, with the bids added and removed.

    Pairs present before and after keep their assignment (rapporteur flag, review). The
    e-mails leave after the transaction commits; they link to ``dashboard_url`` (by default
    the juror dashboard under ``PORTAL_SITE_URL``).
    """
    proposal.call.check_evaluation_open()
    with transaction.atomic():
        proposal = (
            AssignmentProposal.objects.select_for_update()
            .select_related("call")
            .get(pk=proposal.pk)
        )
        if proposal.status != AssignmentProposal.Status.READY or not proposal.result:
            raise ValidationError(
                _("Only a computed proposal that was not saved yet can be saved.")
            )
        call = proposal.call
        wanted = {
            (pair["juror"], pair["bid"]): pair["similarity"] for pair in proposal.result["pairs"]
        }
        bid_ids = set(Bid.objects.assessable().filter(call=call).values_list("pk", flat=True))
        juror_ids = set(JurorProfile.objects.filter(calls=call).values_list("pk", flat=True))
        blocked = blocked_pairs(call=call)
        stale = [
            pair
            for pair in wanted
            if pair in blocked or pair[0] not in juror_ids or pair[1] not in bid_ids
        ]
        if stale:
            raise ValidationError(
                _(
                    "Conflicts, jurors or bids changed since this proposal was computed "
                    "(%(count)s pairs are no longer possible). Compute a new proposal."
                )
                % {"count": len(stale)}
            )
        existing = {
            (assignment.juror_id, assignment.bid_id): assignment
            for assignment in Assignment.objects.select_for_update(of=("self",))
            .filter(bid__call=call)
            .select_related("review")
        }
        started = [
            assignment
            for pair, assignment in existing.items()
            if pair not in wanted and hasattr(assignment, "review")
        ]
        if started:
            raise ValidationError(
                _(
                    "%(count)s reviews were started since this proposal was computed and it "
                    "would discard them. Compute a new proposal."
                )
                % {"count": len(started)}
            )
        Assignment.objects.filter(
            pk__in=[a.pk for pair, a in existing.items() if pair not in wanted]
        ).delete()
        kept = []
        for pair, assignment in existing.items():
            if pair in wanted and assignment.similarity != wanted[pair]:
                assignment.similarity = wanted[pair]
                kept.append(assignment)
        Assignment.objects.bulk_update(kept, ["similarity"])
        created = Assignment.objects.bulk_create(
            [
                Assignment(juror_id=j, bid_id=b, similarity=similarity, assigned_by=by)
                for (j, b), similarity in wanted.items()
                if (j, b) not in existing
            ]
        )
        proposal.status = AssignmentProposal.Status.SAVED
        proposal.save(update_fields=["status"])
        changes: dict[int, tuple[set[int], set[int]]] = defaultdict(lambda: (set(), set()))
        for juror_id, bid_id in wanted.keys() - existing.keys():
            changes[juror_id][0].add(bid_id)
        for juror_id, bid_id in existing.keys() - wanted.keys():
            changes[juror_id][1].add(bid_id)
        _email_assignment_changes(
            call=call,
            changes=changes,
            dashboard_url=dashboard_url or _dashboard_url(),
        )
    logger.info(
        "User %s saved assignment proposal %s: %s pairs (%s new)",
        by.pk,
        proposal.pk,
        len(wanted),
        len(created),
    )
    return list(Assignment.objects.filter(bid__call=call))


def _email_assignment_changes(
    *, call: Call, changes: dict[int, tuple[set[int], set[int]]], dashboard_url: str
) -> None:
    """Queue one e-mail per juror whose list changed, in English (sent after commit).

    ``changes`` maps a juror id to the bid ids added to and removed from their list; a juror
    with neither is not written to. Three queries whatever the number of jurors.
    """
    changes = {juror_id: diff for juror_id, diff in changes.items() if diff[0] or diff[1]}
    if not changes:
        return
    jurors = JurorProfile.objects.select_related("user").in_bulk(changes)
    bids = Bid.objects.in_bulk(
        {pk for added, removed in changes.values() for pk in added | removed}
    )
    totals = dict(
        Assignment.objects.active()
        .filter(bid__call=call, juror_id__in=changes)
        .order_by()
        .values("juror_id")
        .annotate(count=Count("pk"))
        .values_list("juror_id", "count")
    )

    def listed(bid_ids: set[int]) -> list[dict[str, str]]:
        rows = sorted((bids[pk] for pk in bid_ids if pk in bids), key=lambda bid: bid.acronym)
        return [{"acronym": bid.acronym, "title": bid.title} for bid in rows]

    for juror_id, (added, removed) in sorted(changes.items()):
        juror = jurors.get(juror_id)
        if juror is None:
            continue
        send_templated_mail(
            template="review/assignments/assignment",
            to=juror.user.email,
            context={
                "name": juror.display_name,
                "call": {"title_en": call.title_en, "review_deadline": call.review_deadline},
                "added": listed(added),
                "removed": listed(removed),
                "total": totals.get(juror_id, 0),
                "dashboard_url": dashboard_url,
            },
            language="en",  # the jury works in English, whatever the administrator's language
        )
