import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from auditlog.models import LogEntry
from django.urls import reverse

from review.models import (
    Assignment,
    Conflict,
    ConflictDeclaration,
    InstitutionConflictDeclaration,
    Review,
)
from review.queries.visibility import excluded_juror_ids
from review.services.conflicts import (
    confirm_conflict,
    declare_conflict,
    declare_institution_conflict,
    detect_conflicts,
    dismiss_conflict,
    set_conflict_pinned,
)
from tests.factories import (
    AffiliationFactory,
    AssignmentFactory,
    BidSectionFactory,
    CallFactory,
    ConflictDeclarationFactory,
    ConflictFactory,
    ExternalPartnerFactory,
    InstitutionFactory,
    PartnershipFactory,
    ReviewFactory,
    UserFactory,
)
from tests.review.jury_setup import (
    administrator_with_totp,
    institution_member,
    juror_with_totp,
    submitted_bid,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))


def _detected(call):
    return sorted(
        (c.juror_id, c.bid_id, c.kind, c.status)
        for c in Conflict.objects.filter(bid__call=call, source=Conflict.Source.DETECTED)
    )


# Detection ---------------------------------------------------------------------------


def test_detect_conflicts_finds_current_affiliation_with_lead():
    call = CallFactory()
    bid = submitted_bid(call=call)
    juror = juror_with_totp(call=call)
    AffiliationFactory(juror=juror, institution=bid.lead_institution, end_year=None)

    detect_conflicts(call=call, now=NOW)

    assert _detected(call) == [(juror.pk, bid.pk, "affiliation", "suggested")]


def test_detect_conflicts_finds_past_affiliation_within_three_years():
    call = CallFactory()
    bid = submitted_bid(call=call)
    juror = juror_with_totp(call=call)
    AffiliationFactory(juror=juror, institution=bid.lead_institution, end_year=2023)

    detect_conflicts(call=call, now=NOW)

    assert _detected(call) == [(juror.pk, bid.pk, "affiliation", "suggested")]


def test_detect_conflicts_ignores_affiliation_older_than_three_years():
    call = CallFactory()
    bid = submitted_bid(call=call)
    juror = juror_with_totp(call=call)
    AffiliationFactory(juror=juror, institution=bid.lead_institution, end_year=2022)

    detect_conflicts(call=call, now=NOW)

    assert _detected(call) == []


def test_detect_conflicts_finds_partner_institution():
    call = CallFactory()
    bid = submitted_bid(call=call)
    partner = InstitutionFactory()
    PartnershipFactory(bid=bid, institution=partner)
    juror = juror_with_totp(call=call)
    AffiliationFactory(juror=juror, institution=partner)

    detect_conflicts(call=call, now=NOW)

    conflict = Conflict.objects.get()
    assert (conflict.juror_id, conflict.bid_id, conflict.kind) == (juror.pk, bid.pk, "affiliation")
    assert "partner" in conflict.reason


def test_detect_conflicts_ignores_a_partner_that_has_not_accepted():
    call = CallFactory()
    bid = submitted_bid(call=call)
    partner = InstitutionFactory()
    PartnershipFactory(bid=bid, institution=partner, status="requested")
    juror = juror_with_totp(call=call)
    AffiliationFactory(juror=juror, institution=partner)

    detect_conflicts(call=call, now=NOW)

    assert not Conflict.objects.exists()


def test_detect_conflicts_finds_partner_not_on_the_portal_by_name():
    call = CallFactory()
    bid = submitted_bid(call=call)
    ExternalPartnerFactory(bid=bid, name="Nordlicht Robotics GmbH")
    juror = juror_with_totp(call=call)
    AffiliationFactory(juror=juror, institution=None, organisation_name="nordlicht  robotics gmbh")

    detect_conflicts(call=call, now=NOW)

    conflict = Conflict.objects.get()
    assert (conflict.juror_id, conflict.bid_id, conflict.kind) == (juror.pk, bid.pk, "affiliation")
    assert "Nordlicht Robotics GmbH (partner not on the portal)" in conflict.reason


def test_detect_conflicts_finds_shared_email_domain():
    call = CallFactory()
    bid = submitted_bid(call=call, lead_institution=InstitutionFactory(email_domain="univ-a.fr"))
    juror = juror_with_totp(call=call, user=UserFactory(username="someone@lab.univ-a.fr"))

    detect_conflicts(call=call, now=NOW)

    assert _detected(call) == [(juror.pk, bid.pk, "email_domain", "suggested")]


def test_detect_conflicts_skips_draft_and_ineligible_bids():
    call = CallFactory()
    draft = submitted_bid(call=call)
    draft.status = "draft"
    draft.save()
    ineligible = submitted_bid(call=call)
    ineligible.eligibility = "ineligible"
    ineligible.save()
    juror = juror_with_totp(call=call)
    AffiliationFactory(juror=juror, institution=draft.lead_institution)
    AffiliationFactory(juror=juror, institution=ineligible.lead_institution)

    detect_conflicts(call=call, now=NOW)

    assert _detected(call) == []


def test_detect_conflicts_twice_changes_nothing():
    call = CallFactory()
    bid = submitted_bid(call=call)
    juror = juror_with_totp(call=call)
    AffiliationFactory(juror=juror, institution=bid.lead_institution)
    detect_conflicts(call=call, now=NOW)
    dismiss_conflict(
        conflict=Conflict.objects.get(), by=administrator_with_totp(), reason="Left in 2019"
    )

    summary = detect_conflicts(call=call, now=NOW)

    assert (summary.created, summary.updated, summary.removed) == (0, 0, 0)
    assert _detected(call) == [(juror.pk, bid.pk, "affiliation", "dismissed")]


def test_detect_conflicts_keeps_pinned_decision_when_facts_change():
    call = CallFactory()
    bid = submitted_bid(call=call)
    juror = juror_with_totp(call=call)
    affiliation = AffiliationFactory(juror=juror, institution=bid.lead_institution)
    detect_conflicts(call=call, now=NOW)
    admin = administrator_with_totp()
    conflict = dismiss_conflict(conflict=Conflict.objects.get(), by=admin, reason="Old tie")
    set_conflict_pinned(conflict=conflict, pinned=True, by=admin, reason="Checked by phone")
    affiliation.delete()

    summary = detect_conflicts(call=call, now=NOW)

    assert summary.kept_pinned == 1
    assert _detected(call) == [(juror.pk, bid.pk, "affiliation", "dismissed")]


def test_detect_conflicts_removes_unpinned_suggestion_no_longer_found():
    call = CallFactory()
    bid = submitted_bid(call=call)
    juror = juror_with_totp(call=call)
    affiliation = AffiliationFactory(juror=juror, institution=bid.lead_institution)
    detect_conflicts(call=call, now=NOW)
    affiliation.delete()

    summary = detect_conflicts(call=call, now=NOW)

    assert summary.removed == 1
    assert _detected(call) == []


# Decisions ---------------------------------------------------------------------------


def test_confirm_conflict_removes_assignment_and_draft_review():
    call = CallFactory()
    bid = submitted_bid(call=call)
    juror = juror_with_totp(call=call)
    review = ReviewFactory(assignment=AssignmentFactory(juror=juror, bid=bid))
    conflict = ConflictFactory(juror=juror, bid=bid)
    admin = administrator_with_totp()

    confirmed = confirm_conflict(conflict=conflict, by=admin)

    assert (confirmed.status, confirmed.decided_by) == ("confirmed", admin)
    assert confirmed.decided_at is not None
    assert Assignment.objects.filter(juror=juror, bid=bid).exists() is False
    assert Review.objects.filter(pk=review.pk).exists() is False
    assert excluded_juror_ids(bid) == {juror.pk}


def test_pin_refuses_undecided_conflict():
    conflict = ConflictFactory()

    with pytest.raises(Exception, match="Confirm or dismiss"):
        set_conflict_pinned(
            conflict=conflict, pinned=True, by=administrator_with_totp(), reason="Checked"
        )


def test_declare_conflict_removes_juror_from_bid():
    call = CallFactory()
    bid = submitted_bid(call=call)
    juror = juror_with_totp(call=call)
    AssignmentFactory(juror=juror, bid=bid)

    declare_conflict(juror=juror, bid=bid, has_conflict=True, kind="family", reason="My sister")

    assert excluded_juror_ids(bid) == {juror.pk}
    assert Assignment.objects.filter(juror=juror, bid=bid).exists() is False
    assert list(Conflict.objects.values_list("source", "status")) == [("juror", "confirmed")]


def test_declare_conflict_refuses_second_declaration():
    bid = submitted_bid(call=CallFactory())
    juror = juror_with_totp()
    declare_conflict(juror=juror, bid=bid, has_conflict=False)

    with pytest.raises(Exception, match="already declared"):
        declare_conflict(juror=juror, bid=bid, has_conflict=False)


def test_declare_institution_conflict_records_suggestion_for_juror_email():
    bid = submitted_bid(call=CallFactory())
    juror = juror_with_totp()
    member = institution_member(bid=bid)

    declare_institution_conflict(
        bid=bid, email=juror.user.email.upper(), reason="Former PhD advisor", by=member
    )

    conflict = Conflict.objects.get()
    assert (conflict.juror, conflict.source, conflict.status, conflict.reason) == (
        juror,
        "institution",
        "suggested",
        "Former PhD advisor",
    )


def _institution_conflicts():
    return list(
        Conflict.objects.filter(source="institution").values_list(
            "juror_id", "bid_id", "kind", "status", "reason"
        )
    )


def test_declare_institution_conflict_stores_declaration_matching_no_juror():
    bid = submitted_bid(call=CallFactory())
    member = institution_member(bid=bid)

    declare_institution_conflict(
        bid=bid, email=" Later.Juror@Example.ORG ", reason="Former PhD advisor", by=member
    )

    declaration = InstitutionConflictDeclaration.objects.get()
    assert (declaration.bid, declaration.email, declaration.reason, declaration.declared_by) == (
        bid,
        "later.juror@example.org",
        "Former PhD advisor",
        member,
    )
    assert declaration.declared_at is not None
    assert Conflict.objects.exists() is False


def test_detect_conflicts_matches_declaration_made_before_juror_was_invited():
    call = CallFactory()
    bid = submitted_bid(call=call)
    declare_institution_conflict(
        bid=bid,
        email="later.juror@example.org",
        reason="Former PhD advisor",
        by=institution_member(bid=bid),
    )
    juror = juror_with_totp(call=call, user=UserFactory(username="Later.Juror@example.org"))

    summary = detect_conflicts(call=call, now=NOW)

    assert summary.created == 1
    assert _institution_conflicts() == [
        (juror.pk, bid.pk, "other", "suggested", "Former PhD advisor")
    ]


def test_detect_conflicts_matches_declaration_on_juror_secondary_address():
    call = CallFactory()
    bid = submitted_bid(call=call)
    declare_institution_conflict(
        bid=bid, email="private@example.net", reason="Competitor", by=institution_member(bid=bid)
    )
    juror = juror_with_totp(call=call)
    EmailAddress.objects.create(user=juror.user, email="Private@example.net", verified=False)

    detect_conflicts(call=call, now=NOW)

    assert _institution_conflicts() == [(juror.pk, bid.pk, "other", "suggested", "Competitor")]


def test_detect_conflicts_ignores_declaration_naming_juror_of_another_call():
    call = CallFactory()
    bid = submitted_bid(call=call)
    declare_institution_conflict(
        bid=bid,
        email="elsewhere@example.org",
        reason="Competitor",
        by=institution_member(bid=bid),
    )
    juror_with_totp(call=CallFactory(), user=UserFactory(username="elsewhere@example.org"))

    summary = detect_conflicts(call=call, now=NOW)

    assert (summary.created, _institution_conflicts()) == (0, [])


def test_detect_conflicts_institution_declarations_twice_changes_nothing():
    call = CallFactory()
    bid = submitted_bid(call=call)
    member = institution_member(bid=bid)
    for reason in ["Competitor", "Co-author in 2025"]:
        declare_institution_conflict(bid=bid, email="later@example.org", reason=reason, by=member)
    juror = juror_with_totp(call=call, user=UserFactory(username="later@example.org"))
    detect_conflicts(call=call, now=NOW)

    summary = detect_conflicts(call=call, now=NOW)

    assert (summary.created, summary.updated, summary.removed) == (0, 0, 0)
    assert _institution_conflicts() == [
        (juror.pk, bid.pk, "other", "suggested", "Competitor\nCo-author in 2025")
    ]


def test_declare_institution_conflict_same_reason_twice_records_it_once():
    bid = submitted_bid(call=CallFactory())
    juror = juror_with_totp()
    member = institution_member(bid=bid)

    for _ in range(2):
        declare_institution_conflict(
            bid=bid, email=juror.user.email, reason="Competitor", by=member
        )

    assert InstitutionConflictDeclaration.objects.count() == 2
    assert _institution_conflicts() == [(juror.pk, bid.pk, "other", "suggested", "Competitor")]


def test_detect_conflicts_new_institution_reason_reopens_dismissed_conflict():
    call = CallFactory()
    bid = submitted_bid(call=call)
    juror = juror_with_totp(call=call)
    member = institution_member(bid=bid)
    declare_institution_conflict(bid=bid, email=juror.user.email, reason="Competitor", by=member)
    dismiss_conflict(
        conflict=Conflict.objects.get(), by=administrator_with_totp(), reason="Left in 2019"
    )
    InstitutionConflictDeclaration.objects.create(
        bid=bid, email=juror.user.email, reason="Co-author in 2025", declared_by=member
    )

    summary = detect_conflicts(call=call, now=NOW)

    assert summary.updated == 1
    conflict = Conflict.objects.get()
    assert (conflict.status, conflict.decided_by, conflict.reason) == (
        "suggested",
        None,
        "Competitor\nCo-author in 2025",
    )


def test_declare_institution_conflict_new_reason_keeps_confirmed_conflict_confirmed():
    bid = submitted_bid(call=CallFactory())
    juror = juror_with_totp()
    member = institution_member(bid=bid)
    declare_institution_conflict(bid=bid, email=juror.user.email, reason="Competitor", by=member)
    admin = administrator_with_totp()
    confirm_conflict(conflict=Conflict.objects.get(), by=admin)

    declare_institution_conflict(
        bid=bid, email=juror.user.email, reason="Co-author in 2025", by=member
    )

    conflict = Conflict.objects.get()
    assert (conflict.status, conflict.decided_by, conflict.reason) == (
        "confirmed",
        admin,
        "Competitor\nCo-author in 2025",
    )
    assert excluded_juror_ids(bid) == {juror.pk}


def test_detect_conflicts_keeps_pinned_institution_conflict_as_it_is():
    call = CallFactory()
    bid = submitted_bid(call=call)
    juror = juror_with_totp(call=call)
    member = institution_member(bid=bid)
    declare_institution_conflict(bid=bid, email=juror.user.email, reason="Competitor", by=member)
    admin = administrator_with_totp()
    conflict = dismiss_conflict(conflict=Conflict.objects.get(), by=admin, reason="Old tie")
    set_conflict_pinned(conflict=conflict, pinned=True, by=admin, reason="Checked by phone")
    InstitutionConflictDeclaration.objects.create(
        bid=bid, email=juror.user.email, reason="Co-author in 2025", declared_by=member
    )

    summary = detect_conflicts(call=call, now=NOW)

    assert summary.kept_pinned == 1
    assert _institution_conflicts() == [(juror.pk, bid.pk, "other", "dismissed", "Competitor")]


def test_detect_conflicts_leaves_institution_conflict_of_juror_who_left_call():
    call = CallFactory()
    bid = submitted_bid(call=call)
    juror = juror_with_totp(call=call)
    declare_institution_conflict(
        bid=bid, email=juror.user.email, reason="Competitor", by=institution_member(bid=bid)
    )
    juror.calls.remove(call)

    summary = detect_conflicts(call=call, now=NOW)

    assert summary.removed == 0
    assert _institution_conflicts() == [(juror.pk, bid.pk, "other", "suggested", "Competitor")]


# Views -------------------------------------------------------------------------------


def test_conflict_list_redirects_anonymous_to_login(client):
    call = CallFactory()

    response = client.get(reverse("review:conflict_list", args=[call.slug]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_conflict_list_refuses_member_and_juror(client):
    call = CallFactory()
    url = reverse("review:conflict_list", args=[call.slug])

    client.force_login(institution_member())
    as_member = client.get(url)
    client.force_login(juror_with_totp(call=call).user)
    as_juror = client.get(url)

    assert (as_member.status_code, as_juror.status_code) == (403, 403)


@pytest.mark.parametrize("count", [1, 10])
def test_conflict_list_queries_do_not_grow_with_conflicts(
    client, django_assert_max_num_queries, count
):
    call = CallFactory()
    admin = administrator_with_totp()
    for _ in range(count):
        bid = submitted_bid(call=call)
        ConflictFactory(bid=bid, juror=juror_with_totp(call=call), decided_by=admin)
    client.force_login(admin)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("review:conflict_list", args=[call.slug]))

    assert len(response.context["rows"]) == count


def test_conflict_detect_view_suggests_conflicts(client):
    call = CallFactory()
    bid = submitted_bid(call=call)
    juror = juror_with_totp(call=call)
    AffiliationFactory(juror=juror, institution=bid.lead_institution)
    client.force_login(administrator_with_totp())

    response = client.post(reverse("review:conflict_detect", args=[call.slug]))

    assert response.status_code == 302
    assert _detected(call) == [(juror.pk, bid.pk, "affiliation", "suggested")]


def test_conflict_decide_view_confirms_and_removes_assignment(client):
    call = CallFactory()
    bid = submitted_bid(call=call)
    juror = juror_with_totp(call=call)
    AssignmentFactory(juror=juror, bid=bid)
    conflict = ConflictFactory(juror=juror, bid=bid)
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("review:conflict_decide", args=[conflict.pk]), {"action": "confirm"}
    )

    conflict.refresh_from_db()
    assert response.status_code == 302
    assert conflict.status == "confirmed"
    assert Assignment.objects.filter(bid=bid).count() == 0


def test_conflict_decide_view_refuses_juror(client):
    call = CallFactory()
    conflict = ConflictFactory(bid=submitted_bid(call=call))
    client.force_login(juror_with_totp(call=call).user)

    response = client.post(
        reverse("review:conflict_decide", args=[conflict.pk]),
        {"action": "dismiss", "reason": "Not a real tie"},
    )

    conflict.refresh_from_db()
    assert (response.status_code, conflict.status) == (403, "suggested")


def test_conflict_decide_view_refuses_get(client):
    conflict = ConflictFactory()
    client.force_login(administrator_with_totp())

    response = client.get(reverse("review:conflict_decide", args=[conflict.pk]))

    assert response.status_code == 405


def _declaration_url(bid):
    return reverse("review:declare_conflict", args=[bid.public_id])


def test_declaration_page_shows_title_and_summary_to_assigned_juror(client):
    call = CallFactory()
    bid = submitted_bid(call=call)
    BidSectionFactory(bid=bid, content="A cluster on trustworthy AI.")
    juror = juror_with_totp(call=call)
    AssignmentFactory(juror=juror, bid=bid)
    client.force_login(juror.user)

    response = client.get(_declaration_url(bid))

    assert response.status_code == 200
    assert "A cluster on trustworthy AI." in response.content.decode()


def test_declaration_page_refuses_unassigned_juror(client):
    bid = submitted_bid(call=CallFactory())
    client.force_login(juror_with_totp(call=bid.call).user)

    assert client.get(_declaration_url(bid)).status_code == 403


def test_declaration_page_refuses_conflicted_juror(client):
    bid = submitted_bid(call=CallFactory())
    juror = juror_with_totp(call=bid.call)
    AssignmentFactory(juror=juror, bid=bid)
    ConflictFactory(juror=juror, bid=bid, status="confirmed")
    client.force_login(juror.user)

    assert client.get(_declaration_url(bid)).status_code == 403


def test_declaration_page_refuses_member_and_administrator(client):
    bid = submitted_bid(call=CallFactory())

    client.force_login(institution_member(bid=bid))
    as_member = client.get(_declaration_url(bid))
    client.force_login(administrator_with_totp())
    as_admin = client.get(_declaration_url(bid))

    assert (as_member.status_code, as_admin.status_code) == (403, 403)


def test_declaration_page_redirects_anonymous_to_login(client):
    bid = submitted_bid(call=CallFactory())

    response = client.get(_declaration_url(bid))

    assert response["Location"].startswith(reverse("account_login"))


def test_declaration_no_conflict_is_recorded(client):
    bid = submitted_bid(call=CallFactory())
    juror = juror_with_totp(call=bid.call)
    AssignmentFactory(juror=juror, bid=bid)
    client.force_login(juror.user)

    response = client.post(_declaration_url(bid), {"position": "no"})

    assert response["Location"] == reverse("review:bid_detail", args=[bid.public_id])
    assert list(ConflictDeclaration.objects.values_list("has_conflict", flat=True)) == [False]


def test_declaration_conflict_without_reason_rerenders_with_error(client):
    bid = submitted_bid(call=CallFactory())
    juror = juror_with_totp(call=bid.call)
    AssignmentFactory(juror=juror, bid=bid)
    client.force_login(juror.user)

    response = client.post(_declaration_url(bid), {"position": "yes", "kind": "family"})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["Explain the conflict in a few words."]
    assert ConflictDeclaration.objects.count() == 0


def test_declaration_conflict_after_no_conflict_removes_juror(client):
    bid = submitted_bid(call=CallFactory())
    juror = juror_with_totp(call=bid.call)
    AssignmentFactory(juror=juror, bid=bid)
    ConflictDeclarationFactory(juror=juror, bid=bid, has_conflict=False)
    client.force_login(juror.user)

    response = client.post(
        _declaration_url(bid), {"position": "yes", "kind": "collaboration", "reason": "Co-author"}
    )

    assert response.status_code == 302
    assert client.get(_declaration_url(bid)).status_code == 403


def _institution_url(bid):
    return reverse("review:institution_declare", args=[bid.public_id])


@pytest.mark.parametrize("role", ["coordinator", "editor"])
def test_institution_declaration_says_recorded_whether_or_not_juror(client, role):
    bid = submitted_bid(call=CallFactory())
    juror = juror_with_totp()
    client.force_login(institution_member(bid=bid, role=role))

    matched = client.post(
        _institution_url(bid), {"email": juror.user.email, "reason": "Competitor"}, follow=True
    )
    unmatched = client.post(
        _institution_url(bid), {"email": "nobody@example.org", "reason": "Competitor"}, follow=True
    )

    assert [str(m) for m in matched.context["messages"]] == ["Your declaration is recorded."]
    assert [str(m) for m in unmatched.context["messages"]] == ["Your declaration is recorded."]
    assert list(Conflict.objects.values_list("juror_id", "source")) == [(juror.pk, "institution")]
    assert sorted(InstitutionConflictDeclaration.objects.values_list("email", flat=True)) == [
        "nobody@example.org",
        juror.user.email,
    ]


def _without_csrf_token(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


def test_institution_declaration_response_is_identical_whether_or_not_juror(client):
    bid = submitted_bid(call=CallFactory())
    juror = juror_with_totp()
    client.force_login(institution_member(bid=bid))

    matched = client.post(
        _institution_url(bid), {"email": juror.user.email, "reason": "Competitor"}, follow=True
    )
    unmatched = client.post(
        _institution_url(bid), {"email": "nobody@example.org", "reason": "Competitor"}, follow=True
    )

    assert matched.redirect_chain == unmatched.redirect_chain == [(_institution_url(bid), 302)]
    assert matched.status_code == unmatched.status_code == 200
    assert _without_csrf_token(matched.content) == _without_csrf_token(unmatched.content)


def test_institution_declaration_is_logged_with_actor(client):
    bid = submitted_bid(call=CallFactory())
    member = institution_member(bid=bid, role="editor")
    client.force_login(member)

    client.post(_institution_url(bid), {"email": "someone@example.org", "reason": "Competitor"})

    declaration = InstitutionConflictDeclaration.objects.get()
    entry = LogEntry.objects.get_for_object(declaration).get()
    assert (entry.actor, entry.changes_dict["email"]) == (member, ["None", "someone@example.org"])


def test_institution_declaration_redirects_anonymous_to_login(client):
    bid = submitted_bid(call=CallFactory())

    response = client.get(_institution_url(bid))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_institution_declaration_post_by_reader_is_refused_and_not_stored(client):
    bid = submitted_bid(call=CallFactory())
    client.force_login(institution_member(bid=bid, role="reader"))

    response = client.post(
        _institution_url(bid), {"email": "someone@example.org", "reason": "Competitor"}
    )

    assert response.status_code == 403
    assert InstitutionConflictDeclaration.objects.exists() is False


def test_institution_declaration_refuses_reader_and_other_institution(client):
    bid = submitted_bid(call=CallFactory())

    client.force_login(institution_member(bid=bid, role="reader"))
    as_reader = client.get(_institution_url(bid))
    client.force_login(institution_member())
    as_other = client.get(_institution_url(bid))
    client.force_login(juror_with_totp().user)
    as_juror = client.get(_institution_url(bid))

    assert (as_reader.status_code, as_other.status_code, as_juror.status_code) == (403, 403, 403)


def test_conflict_decision_is_logged_with_actor(client):
    conflict = ConflictFactory()
    admin = administrator_with_totp()
    client.force_login(admin)

    client.post(
        reverse("review:conflict_decide", args=[conflict.pk]),
        {"action": "dismiss", "reason": "Not a real tie"},
    )

    entry = LogEntry.objects.get_for_object(conflict).latest("timestamp")
    assert entry.actor == admin
    assert entry.changes_dict["status"] == ["suggested", "dismissed"]
