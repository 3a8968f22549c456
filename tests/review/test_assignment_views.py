import pytest
from django.urls import reverse

from review.models import Assignment, AssignmentProposal
from review.services.assignments import (
    compute_assignment_proposal,
    request_assignment_proposal,
    save_assignment_proposal,
)
from review.tasks import task_compute_assignment
from tests.factories import (
    AssignmentFactory,
    BidSectionFactory,
    CallFactory,
    ConflictDeclarationFactory,
    ConflictFactory,
    ReviewFactory,
)
from tests.review.jury_setup import (
    administrator_with_totp,
    institution_member,
    juror_with_totp,
    submitted_bid,
)

pytestmark = pytest.mark.django_db

TOPICS = [
    "computer vision robotics perception",
    "natural language processing translation",
    "health data medical imaging",
]


def _jury(*, bids=3, jurors=4):
    call = CallFactory(jurors_per_bid=2)
    bid_list = []
    for n in range(bids):
        bid = submitted_bid(call=call)
        BidSectionFactory(bid=bid, content=f"A cluster on {TOPICS[n % 3]}.")
        bid_list.append(bid)
    juror_list = [
        juror_with_totp(call=call, expertise=f"Expert in {TOPICS[n % 3]}") for n in range(jurors)
    ]
    return call, bid_list, juror_list


# Manual assignment -------------------------------------------------------------------


def test_assignment_add_assigns_juror(client):
    call, (bid, *_), (juror, *_) = _jury()
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("review:assignment_add", args=[call.slug]), {"bid": bid.pk, "juror": juror.pk}
    )

    assert response.status_code == 302
    assert list(Assignment.objects.values_list("juror_id", "bid_id")) == [(juror.pk, bid.pk)]


def test_assignment_add_refuses_conflicted_pair_with_message(client):
    call, (bid, *_), (juror, *_) = _jury()
    ConflictFactory(juror=juror, bid=bid, status="confirmed")
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("review:assignment_add", args=[call.slug]), {"bid": bid.pk, "juror": juror.pk}
    )

    assert response.status_code == 200
    assert response.context["manual_form"].non_field_errors() == [
        f"{juror.display_name} cannot review {bid.acronym}: a confirmed conflict of interest."
    ]
    assert Assignment.objects.count() == 0


def test_assignment_add_refuses_pair_with_suggested_conflict(client):
    call, (bid, *_), (juror, *_) = _jury()
    ConflictFactory(juror=juror, bid=bid, status="suggested")
    client.force_login(administrator_with_totp())

    client.post(
        reverse("review:assignment_add", args=[call.slug]), {"bid": bid.pk, "juror": juror.pk}
    )

    assert Assignment.objects.count() == 0


def test_assignment_add_accepts_pair_with_dismissed_conflict(client):
    call, (bid, *_), (juror, *_) = _jury()
    ConflictFactory(juror=juror, bid=bid, status="dismissed")
    client.force_login(administrator_with_totp())

    client.post(
        reverse("review:assignment_add", args=[call.slug]), {"bid": bid.pk, "juror": juror.pk}
    )

    assert Assignment.objects.count() == 1


def test_assignment_add_refuses_juror_who_declared_conflict(client):
    call, (bid, *_), (juror, *_) = _jury()
    ConflictDeclarationFactory(juror=juror, bid=bid, has_conflict=True, kind="family")
    client.force_login(administrator_with_totp())

    client.post(
        reverse("review:assignment_add", args=[call.slug]), {"bid": bid.pk, "juror": juror.pk}
    )

    assert Assignment.objects.count() == 0


def test_assignment_rapporteur_is_unique_per_bid(client):
    call, (bid, *_), (first, second, *_) = _jury()
    a1 = AssignmentFactory(bid=bid, juror=first, is_rapporteur=True)
    a2 = AssignmentFactory(bid=bid, juror=second)
    client.force_login(administrator_with_totp())

    response = client.post(reverse("review:assignment_rapporteur", args=[a2.pk]))

    a1.refresh_from_db()
    a2.refresh_from_db()
    assert response.status_code == 302
    assert (a1.is_rapporteur, a2.is_rapporteur) == (False, True)


def test_assignment_remove_deletes_assignment(client):
    call, (bid, *_), (juror, *_) = _jury()
    assignment = AssignmentFactory(bid=bid, juror=juror)
    client.force_login(administrator_with_totp())

    client.post(reverse("review:assignment_remove", args=[assignment.pk]))

    assert Assignment.objects.count() == 0


def test_assignment_remove_refuses_when_review_submitted(client):
    call, (bid, *_), (juror, *_) = _jury()
    assignment = AssignmentFactory(bid=bid, juror=juror)
    ReviewFactory(assignment=assignment, status="submitted")
    client.force_login(administrator_with_totp())

    response = client.post(reverse("review:assignment_remove", args=[assignment.pk]), follow=True)

    assert Assignment.objects.count() == 1
    assert "has submitted a review" in [str(m) for m in response.context["messages"]][0]


# Permissions -------------------------------------------------------------------------


def _admin_get_urls(call, assignment, proposal):
    return [
        reverse("review:assignment_list", args=[call.slug]),
        reverse("review:proposal_detail", args=[proposal.pk]),
        reverse("review:proposal_progress", args=[proposal.pk]),
    ]


def _admin_post_urls(call, assignment, proposal):
    return [
        reverse("review:assignment_add", args=[call.slug]),
        reverse("review:assignment_remove", args=[assignment.pk]),
        reverse("review:assignment_rapporteur", args=[assignment.pk]),
        reverse("review:proposal_create", args=[call.slug]),
        reverse("review:proposal_save", args=[proposal.pk]),
    ]


@pytest.fixture
def setup():
    call, bids, jurors = _jury()
    assignment = AssignmentFactory(bid=bids[0], juror=jurors[0])
    proposal = AssignmentProposal.objects.create(call=call)
    return call, assignment, proposal


def test_assignment_pages_redirect_anonymous_to_login(client, setup):
    urls = _admin_get_urls(*setup)

    locations = [client.get(url)["Location"] for url in urls]

    assert all(loc.startswith(reverse("account_login")) for loc in locations)


def test_assignment_pages_refuse_member_and_juror(client, setup):
    call, assignment, proposal = setup
    users = [institution_member(bid=assignment.bid), assignment.juror.user]
    statuses = set()
    for user in users:
        client.force_login(user)
        statuses |= {client.get(url).status_code for url in _admin_get_urls(*setup)}
        statuses |= {client.post(url).status_code for url in _admin_post_urls(*setup)}

    assert statuses == {403}
    assert Assignment.objects.filter(pk=assignment.pk).exists() is True


def test_assignment_pages_show_to_administrator(client, setup):
    client.force_login(administrator_with_totp())

    statuses = {client.get(url).status_code for url in _admin_get_urls(*setup)}

    assert statuses == {200}


@pytest.mark.parametrize("count", [1, 10])
def test_assignment_list_queries_do_not_grow_with_bids(
    client, django_assert_max_num_queries, count
):
    call, bids, jurors = _jury(bids=count, jurors=3)
    for bid in bids:
        for juror in jurors[:2]:
            ReviewFactory(assignment=AssignmentFactory(bid=bid, juror=juror))
    client.force_login(administrator_with_totp())

    with django_assert_max_num_queries(12):
        response = client.get(reverse("review:assignment_list", args=[call.slug]))

    assert len(response.context["bids"]) == count


# Automatic assignment ----------------------------------------------------------------


def test_proposal_create_computes_in_task_and_shows_preview(
    client, django_capture_on_commit_callbacks
):
    call, bids, jurors = _jury()
    client.force_login(administrator_with_totp())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("review:proposal_create", args=[call.slug]),
            {"jurors_per_bid": 2, "min_load": 1, "max_load": 2},
        )
    proposal = AssignmentProposal.objects.get()
    page = client.get(response["Location"])

    assert (proposal.status, proposal.progress) == ("ready", 100)
    assert len(proposal.result["pairs"]) == 6
    assert set(proposal.result["load"].values()) <= {1, 2}
    assert proposal.result["connected"] is True
    assert page.status_code == 200
    assert len(page.context["preview"].bids) == 3
    assert "Mean expertise match" in page.content.decode()
    # The quality against the solver's proved bound: the flow optimum is connected here.
    assert proposal.result["upper_bound"] == pytest.approx(proposal.result["total_similarity"])
    assert "100.00% of the best total match the solver proves" in page.content.decode()


def test_proposal_prefers_matching_expertise():
    call, bids, jurors = _jury(bids=3, jurors=3)
    proposal = request_assignment_proposal(
        call=call, jurors_per_bid=1, min_load=1, max_load=1, by=administrator_with_totp()
    )

    compute_assignment_proposal(proposal=proposal)

    pairs = {(p["juror"], p["bid"]) for p in proposal.result["pairs"]}
    assert pairs == {(juror.pk, bid.pk) for juror, bid in zip(jurors, bids, strict=True)}


def test_proposal_never_assigns_conflicted_pair():
    call, bids, jurors = _jury(bids=3, jurors=3)
    ConflictFactory(juror=jurors[0], bid=bids[0], status="confirmed")
    proposal = request_assignment_proposal(
        call=call, jurors_per_bid=2, min_load=0, max_load=3, by=administrator_with_totp()
    )

    compute_assignment_proposal(proposal=proposal)

    pairs = {(p["juror"], p["bid"]) for p in proposal.result["pairs"]}
    assert (jurors[0].pk, bids[0].pk) not in pairs
    assert len(pairs) == 6


def test_proposal_infeasible_names_constraint_on_page(client, django_capture_on_commit_callbacks):
    call, bids, jurors = _jury(bids=3, jurors=2)
    client.force_login(administrator_with_totp())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("review:proposal_create", args=[call.slug]),
            {"jurors_per_bid": 2, "min_load": 0, "max_load": 1},
        )
    page = client.get(response["Location"])

    proposal = AssignmentProposal.objects.get()
    assert proposal.status == "failed"
    assert page.context["preview"].infeasible == [
        "total capacity (sum of maximum loads = 2) is below the 6 places to fill "
        "(bids × jurors per bid)"
    ]


def test_proposal_infeasible_names_the_bid_lacking_jurors(client):
    call, bids, jurors = _jury(bids=2, jurors=3)
    for juror in jurors[:2]:
        ConflictFactory(juror=juror, bid=bids[0], status="confirmed")
    proposal = _computed_proposal(call, jurors_per_bid=2, min_load=0, max_load=2)
    client.force_login(administrator_with_totp())

    page = client.get(reverse("review:proposal_detail", args=[proposal.pk]))

    assert page.context["preview"].infeasible == [
        f"bid {bids[0].acronym} has only 1 non-conflicted jurors but needs 2"
    ]


def test_proposal_progress_reports_status_as_json(client):
    call, bids, jurors = _jury()
    proposal = AssignmentProposal.objects.create(call=call, progress=30, status="running")
    client.force_login(administrator_with_totp())

    response = client.get(reverse("review:proposal_progress", args=[proposal.pk]))

    assert response.json() == {"status": "running", "status_display": "Running", "progress": 30}


def test_task_compute_assignment_is_quiet_when_proposal_is_gone():
    assert task_compute_assignment.delay(proposal_id=987654).successful() is True


def test_task_compute_assignment_leaves_ready_proposal_alone():
    call, bids, jurors = _jury()
    proposal = AssignmentProposal.objects.create(call=call, status="ready", result={"pairs": []})

    task_compute_assignment.delay(proposal_id=proposal.pk)

    proposal.refresh_from_db()
    assert proposal.result == {"pairs": []}


def test_proposal_form_refuses_min_above_max(client):
    call, bids, jurors = _jury()
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("review:proposal_create", args=[call.slug]),
        {"jurors_per_bid": 2, "min_load": 3, "max_load": 2},
    )

    assert response.status_code == 200
    assert response.context["auto_form"].errors["min_load"] == [
        "The minimum load is above the maximum load."
    ]
    assert AssignmentProposal.objects.count() == 0


def _computed_proposal(call, **kwargs):
    proposal = request_assignment_proposal(call=call, by=administrator_with_totp(), **kwargs)
    return compute_assignment_proposal(proposal=proposal)


def test_proposal_save_replaces_assignments_and_emails_jurors(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    call, bids, jurors = _jury(bids=3, jurors=4)
    extra = submitted_bid(call=CallFactory())  # another call: untouched
    other_call_assignment = AssignmentFactory(bid=extra, juror=jurors[0])
    proposal = _computed_proposal(call, jurors_per_bid=2, min_load=1, max_load=2)
    client.force_login(administrator_with_totp())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("review:proposal_save", args=[proposal.pk]))

    proposal.refresh_from_db()
    saved = set(Assignment.objects.filter(bid__call=call).values_list("juror_id", "bid_id"))
    assert response.status_code == 302
    assert proposal.status == "saved"
    assert saved == {(p["juror"], p["bid"]) for p in proposal.result["pairs"]}
    assert Assignment.objects.filter(pk=other_call_assignment.pk).exists() is True
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        {j.user.email for j in jurors if any(pair[0] == j.pk for pair in saved)}
    )
    first = next(m for m in mailoutbox if m.to == [jurors[0].user.email])
    mine = [b.acronym for b in bids if (jurors[0].pk, b.pk) in saved]
    assert all(f"- {acronym}: " in first.body for acronym in mine)


def test_proposal_save_keeps_started_review_of_pair_that_stays():
    call, bids, jurors = _jury(bids=3, jurors=4)
    review = ReviewFactory(assignment=AssignmentFactory(bid=bids[0], juror=jurors[1]))
    proposal = _computed_proposal(call, jurors_per_bid=2, min_load=1, max_load=2)

    save_assignment_proposal(
        proposal=proposal, by=administrator_with_totp(), dashboard_url="http://x/"
    )

    assert Assignment.objects.filter(pk=review.assignment_id).exists() is True
    assert any(p["pinned"] for p in proposal.result["pairs"]) is True


def test_proposal_save_refuses_when_conflict_confirmed_since(client):
    call, bids, jurors = _jury(bids=3, jurors=4)
    proposal = _computed_proposal(call, jurors_per_bid=2, min_load=1, max_load=2)
    first = proposal.result["pairs"][0]
    ConflictFactory(juror_id=first["juror"], bid_id=first["bid"], status="confirmed")
    client.force_login(administrator_with_totp())

    response = client.post(reverse("review:proposal_save", args=[proposal.pk]), follow=True)

    proposal.refresh_from_db()
    assert proposal.status == "ready"
    assert Assignment.objects.count() == 0
    assert "Compute a new proposal." in [str(m) for m in response.context["messages"]][0]


def test_proposal_save_twice_is_refused(client):
    call, bids, jurors = _jury(bids=3, jurors=4)
    proposal = _computed_proposal(call, jurors_per_bid=2, min_load=1, max_load=2)
    client.force_login(administrator_with_totp())
    client.post(reverse("review:proposal_save", args=[proposal.pk]))

    response = client.post(reverse("review:proposal_save", args=[proposal.pk]), follow=True)

    assert [str(m) for m in response.context["messages"]][-1] == (
        "Only a computed proposal that was not saved yet can be saved."
    )
    assert Assignment.objects.count() == 6


# Assignment e-mails: only the jurors whose list changed, with what changed -----------


def _proposal_with_pairs(call, pairs):
    return AssignmentProposal.objects.create(
        call=call,
        status="ready",
        result={"pairs": [{"juror": j.pk, "bid": b.pk, "similarity": 0.5} for j, b in pairs]},
    )


def test_proposal_save_emails_only_jurors_whose_list_changed_with_the_diff(
    django_capture_on_commit_callbacks, mailoutbox
):
    call, (b1, b2, b3), (same, moved, newcomer, dropped) = _jury(bids=3, jurors=4)
    for juror, bid in [(same, b1), (moved, b1), (moved, b2), (dropped, b3)]:
        AssignmentFactory(juror=juror, bid=bid)
    proposal = _proposal_with_pairs(
        call, [(same, b1), (moved, b1), (moved, b3), (newcomer, b2), (newcomer, b3)]
    )

    with django_capture_on_commit_callbacks(execute=True):
        save_assignment_proposal(proposal=proposal, by=administrator_with_totp())

    by_address = {m.to[0]: m for m in mailoutbox}
    assert sorted(by_address) == sorted(j.user.email for j in (moved, newcomer, dropped))
    body = by_address[moved.user.email].body
    added, removed = body.split("Removed (1 bid; you no longer review it):")
    assert f"Added (1 bid):\n- {b3.acronym}: {b3.title}" in added
    assert f"- {b2.acronym}: {b2.title}" in removed
    assert "You now have 2 bids to review for this call." in body
    assert "Removed" not in by_address[newcomer.user.email].body
    assert "Added" not in by_address[dropped.user.email].body
    assert by_address[dropped.user.email].subject == (
        f"[IA-cluster portal] Your bids to review for {call.title_en} have changed"
    )


def test_proposal_save_that_changes_nothing_emails_no_one(
    django_capture_on_commit_callbacks, mailoutbox
):
    call, (b1, *_), (juror, *_) = _jury()
    AssignmentFactory(juror=juror, bid=b1)

    with django_capture_on_commit_callbacks(execute=True):
        save_assignment_proposal(
            proposal=_proposal_with_pairs(call, [(juror, b1)]), by=administrator_with_totp()
        )

    assert mailoutbox == []


def test_manual_assignment_emails_the_juror_the_bid_added(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    call, (bid, *_), (juror, other, *_) = _jury()
    client.force_login(administrator_with_totp())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("review:assignment_add", args=[call.slug]), {"bid": bid.pk, "juror": juror.pk}
        )

    assert [m.to for m in mailoutbox] == [[juror.user.email]]
    assert f"Added (1 bid):\n- {bid.acronym}: {bid.title}" in mailoutbox[0].body
    assert "You now have 1 bid to review for this call." in mailoutbox[0].body


def test_refused_manual_assignment_emails_no_one(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    call, (bid, *_), (juror, *_) = _jury()
    ConflictFactory(juror=juror, bid=bid, status="confirmed")
    client.force_login(administrator_with_totp())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("review:assignment_add", args=[call.slug]), {"bid": bid.pk, "juror": juror.pk}
        )

    assert mailoutbox == []


def test_manual_removal_emails_the_juror_the_bid_removed(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    call, (bid, *_), (juror, *_) = _jury()
    assignment = AssignmentFactory(juror=juror, bid=bid)
    client.force_login(administrator_with_totp())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("review:assignment_remove", args=[assignment.pk]))

    assert [m.to for m in mailoutbox] == [[juror.user.email]]
    assert f"- {bid.acronym}: {bid.title}" in mailoutbox[0].body
    assert "Removed (1 bid; you no longer review it):" in mailoutbox[0].body
    assert "You now have 0 bids to review for this call." in mailoutbox[0].body
