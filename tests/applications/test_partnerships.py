"""Partners with consent: requests, answers, departure, what a partner sees, partners not
on the portal, for every role."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Call, ExternalPartner, Membership, Partnership
from applications.services.submission import bid_content
from tests.applications.bidkit import complete_bid, member
from tests.factories import (
    AdministratorFactory,
    BidFactory,
    InstitutionFactory,
    JurorProfileFactory,
    PartnershipFactory,
    enable_totp,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    """A bid, a partner institution asked (not yet answered), and one user per role."""
    bid = complete_bid(BidFactory(acronym="LEAD", title="A cluster in Lyon"))
    partner = InstitutionFactory(name="Partner University")
    juror = JurorProfileFactory().user
    enable_totp(juror)
    administrator = AdministratorFactory()
    enable_totp(administrator)
    return {
        "bid": bid,
        "partner": partner,
        "lead_coordinator": member(bid.lead_institution, Membership.Role.COORDINATOR),
        "lead_editor": member(bid.lead_institution, Membership.Role.EDITOR),
        "partner_coordinator": member(partner, Membership.Role.COORDINATOR),
        "partner_member": member(partner, Membership.Role.READER),
        "other": member(InstitutionFactory(), Membership.Role.COORDINATOR),
        "juror": juror,
        "administrator": administrator,
    }


def _requested(people) -> Partnership:
    return PartnershipFactory(
        bid=people["bid"],
        institution=people["partner"],
        status=Partnership.Status.REQUESTED,
        requested_by=people["lead_coordinator"],
    )


def _bid_url(name, bid, *args):
    return reverse(f"applications:{name}", args=[bid.public_id, *args])


BID_PAGES = [
    ("bid_detail", ()),
    ("bid_consortium", ()),
    ("bid_section", ("summary",)),
    ("bid_budget", ()),
    ("bid_attachments", ()),
]


@pytest.mark.parametrize(("name", "args"), BID_PAGES)
@pytest.mark.parametrize("role", ["partner_coordinator", "partner_member"])
def test_bid_pages_are_404_for_a_partner_that_has_not_accepted(client, people, name, args, role):
    _requested(people)
    client.force_login(people[role])

    response = client.get(_bid_url(name, people["bid"], *args))

    assert response.status_code == 404


def test_receipt_and_attachment_are_404_before_acceptance_and_200_after(client, people):
    from applications.services.submission import submit_bid

    partnership = _requested(people)
    submit_bid(bid=people["bid"], by=people["lead_coordinator"])
    attachment = people["bid"].attachments.first()
    client.force_login(people["partner_member"])
    urls = [
        _bid_url("bid_receipt", people["bid"], 1),
        _bid_url("bid_version_pdf", people["bid"], 1),
        _bid_url("bid_attachment_download", people["bid"], attachment.pk),
    ]

    before = [client.get(url).status_code for url in urls]
    Partnership.objects.filter(pk=partnership.pk).update(status=Partnership.Status.ACCEPTED)
    after = [client.get(url).status_code for url in urls]

    assert (before, after) == ([404, 404, 404], [200, 200, 200])


def test_dashboard_lists_the_bid_only_once_accepted(client, people):
    partnership = _requested(people)
    client.force_login(people["partner_member"])

    before = list(client.get(reverse("applications:dashboard")).context["bids"])
    Partnership.objects.filter(pk=partnership.pk).update(status=Partnership.Status.ACCEPTED)
    after = list(client.get(reverse("applications:dashboard")).context["bids"])

    assert (before, after) == ([], [people["bid"]])


# --------------------------------------------------------------------------- requesting


def test_request_by_lead_coordinator_creates_request_and_mails_partner_coordinators(
    client, people, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(people["lead_coordinator"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _bid_url("bid_partner_request", people["bid"]),
            {"partner-institution": people["partner"].pk},
        )

    partnership = Partnership.objects.get()
    assert response.status_code == 302
    assert (partnership.status, partnership.requested_by) == (
        "requested",
        people["lead_coordinator"],
    )
    assert [m.to for m in mailoutbox] == [[people["partner_coordinator"].email]]
    assert reverse("applications:partnerships") in mailoutbox[0].body


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("lead_editor", 403),
        ("administrator", 403),
        ("partner_coordinator", 404),
        ("other", 404),
        ("juror", 404),
    ],
)
def test_request_by_other_roles_is_refused(client, people, role, status):
    client.force_login(people[role])

    response = client.post(
        _bid_url("bid_partner_request", people["bid"]),
        {"partner-institution": people["partner"].pk},
    )

    assert response.status_code == status
    assert not Partnership.objects.exists()


def test_request_anonymous_redirects_to_login(client, people):
    response = client.post(_bid_url("bid_partner_request", people["bid"]), {})

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_request_twice_rerenders_with_a_message(client, people):
    _requested(people)
    client.force_login(people["lead_coordinator"])

    response = client.post(
        _bid_url("bid_partner_request", people["bid"]),
        {"partner-institution": people["partner"].pk},
    )

    assert response.status_code == 200
    assert response.context["partner_form"].errors["institution"]
    assert Partnership.objects.count() == 1


def test_request_of_the_lead_itself_is_not_offered(client, people):
    client.force_login(people["lead_coordinator"])

    response = client.post(
        _bid_url("bid_partner_request", people["bid"]),
        {"partner-institution": people["bid"].lead_institution.pk},
    )

    assert response.status_code == 200
    assert response.context["partner_form"].errors["institution"]


def test_request_after_the_deadline_is_403(client, people):
    Call.objects.filter(pk=people["bid"].call_id).update(
        opens_at=timezone.now() - timedelta(days=10),
        closes_at=timezone.now() - timedelta(seconds=1),
    )
    client.force_login(people["lead_coordinator"])

    response = client.post(
        _bid_url("bid_partner_request", people["bid"]),
        {"partner-institution": people["partner"].pk},
    )

    assert response.status_code == 403
    assert not Partnership.objects.exists()


# --------------------------------------------------------------------------- answering


@pytest.mark.parametrize(("action", "status"), [("accept", "accepted"), ("decline", "declined")])
def test_partner_coordinator_answers_and_lead_coordinator_is_mailed(
    client, people, mailoutbox, django_capture_on_commit_callbacks, action, status
):
    partnership = _requested(people)
    client.force_login(people["partner_coordinator"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(f"applications:partnership_{action}", args=[partnership.pk]))

    partnership.refresh_from_db()
    assert response.status_code == 302
    assert (partnership.status, partnership.decided_by) == (
        status,
        people["partner_coordinator"],
    )
    assert [m.to for m in mailoutbox] == [[people["lead_coordinator"].email]]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("partner_member", 403),
        ("lead_coordinator", 403),
        ("lead_editor", 403),
        ("administrator", 403),
        ("other", 404),
        ("juror", 404),
    ],
)
@pytest.mark.parametrize("action", ["accept", "decline"])
def test_answer_by_other_roles_is_refused(client, people, role, status, action):
    partnership = _requested(people)
    client.force_login(people[role])

    response = client.post(reverse(f"applications:partnership_{action}", args=[partnership.pk]))

    partnership.refresh_from_db()
    assert (response.status_code, partnership.status) == (status, "requested")


def test_answer_anonymous_redirects_to_login(client, people):
    partnership = _requested(people)

    response = client.post(reverse("applications:partnership_accept", args=[partnership.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_accepting_a_withdrawn_request_is_refused_with_a_message(client, people):
    partnership = _requested(people)
    Partnership.objects.filter(pk=partnership.pk).update(status=Partnership.Status.WITHDRAWN)
    client.force_login(people["partner_coordinator"])

    response = client.post(
        reverse("applications:partnership_accept", args=[partnership.pk]), follow=True
    )

    partnership.refresh_from_db()
    assert partnership.status == "withdrawn"
    assert "no longer open" in response.content.decode()


def test_answer_after_the_deadline_is_403(client, people):
    partnership = _requested(people)
    Call.objects.filter(pk=people["bid"].call_id).update(
        opens_at=timezone.now() - timedelta(days=10),
        closes_at=timezone.now() - timedelta(seconds=1),
    )
    client.force_login(people["partner_coordinator"])

    response = client.post(reverse("applications:partnership_accept", args=[partnership.pk]))

    assert response.status_code == 403
    partnership.refresh_from_db()
    assert partnership.status == "requested"


def test_partner_coordinator_leaves_and_members_lose_the_bid(client, people):
    partnership = _requested(people)
    Partnership.objects.filter(pk=partnership.pk).update(status=Partnership.Status.ACCEPTED)
    client.force_login(people["partner_coordinator"])

    response = client.post(reverse("applications:partnership_leave", args=[partnership.pk]))
    client.force_login(people["partner_member"])
    page = client.get(_bid_url("bid_detail", people["bid"]))

    partnership.refresh_from_db()
    assert (response.status_code, partnership.status, page.status_code) == (302, "left", 404)


@pytest.mark.parametrize("start", ["requested", "accepted"])
def test_lead_coordinator_withdraws_and_partner_coordinators_are_mailed(
    client, people, mailoutbox, django_capture_on_commit_callbacks, start
):
    partnership = _requested(people)
    Partnership.objects.filter(pk=partnership.pk).update(status=start)
    client.force_login(people["lead_coordinator"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_bid_url("bid_partner_withdraw", people["bid"], partnership.pk))

    partnership.refresh_from_db()
    assert (response.status_code, partnership.status) == (302, "withdrawn")
    assert [m.to for m in mailoutbox] == [[people["partner_coordinator"].email]]


@pytest.mark.parametrize(
    ("role", "status"),
    [("lead_editor", 403), ("partner_coordinator", 404), ("other", 404), ("juror", 404)],
)
def test_withdraw_by_other_roles_is_refused(client, people, role, status):
    partnership = _requested(people)
    client.force_login(people[role])

    response = client.post(_bid_url("bid_partner_withdraw", people["bid"], partnership.pk))

    partnership.refresh_from_db()
    assert (response.status_code, partnership.status) == (status, "requested")


def test_every_change_is_in_the_audit_log(client, people):
    from auditlog.models import LogEntry

    client.force_login(people["lead_coordinator"])
    client.post(
        _bid_url("bid_partner_request", people["bid"]),
        {"partner-institution": people["partner"].pk},
    )
    partnership = Partnership.objects.get()
    client.force_login(people["partner_coordinator"])
    client.post(reverse("applications:partnership_accept", args=[partnership.pk]))

    entries = LogEntry.objects.get_for_object(partnership).order_by("timestamp")
    assert [e.actor for e in entries] == [
        people["lead_coordinator"],
        people["partner_coordinator"],
    ]


# --------------------------------------------------------------------------- the requests page


@pytest.mark.parametrize(
    "role",
    [
        "partner_coordinator",
        "partner_member",
        "lead_coordinator",
        "other",
        "juror",
        "administrator",
    ],
)
def test_requests_page_shows_each_user_only_their_institutions_requests(client, people, role):
    _requested(people)
    client.force_login(people[role])

    response = client.get(reverse("applications:partnerships"))

    expected = 1 if role.startswith("partner") else 0
    assert (response.status_code, len(response.context["requested"])) == (200, expected)


def test_requests_page_shows_the_request_but_not_the_content(client, people):
    _requested(people)
    client.force_login(people["partner_member"])

    body = client.get(reverse("applications:partnerships")).content.decode()

    assert "LEAD" in body
    assert "A cluster in Lyon" in body
    assert people["bid"].lead_institution.name in body
    assert people["lead_coordinator"].email in body
    assert "Written." not in body  # the sections' text
    assert "accept-partnership" not in body  # a reader does not answer


def test_requests_page_anonymous_redirects_to_login(client):
    response = client.get(reverse("applications:partnerships"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_requests_page_administrator_without_totp_is_sent_to_activation(client, settings):
    settings.PORTAL_DEMO_RELAX_MFA = False
    client.force_login(AdministratorFactory())

    response = client.get(reverse("applications:partnerships"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


@pytest.mark.parametrize("count", [1, 4])
def test_requests_page_query_count_is_constant(client, django_assert_max_num_queries, count):
    partner = InstitutionFactory()
    coordinator = member(partner, Membership.Role.COORDINATOR)
    for _ in range(count):
        PartnershipFactory(institution=partner, status=Partnership.Status.REQUESTED)
        PartnershipFactory(institution=partner)
    client.force_login(coordinator)

    with django_assert_max_num_queries(6):
        response = client.get(reverse("applications:partnerships"))

    assert len(response.context["requested"]) == count


def test_dashboard_links_to_the_requests_awaiting_an_answer(client, people):
    _requested(people)
    client.force_login(people["partner_coordinator"])

    response = client.get(reverse("applications:dashboard"))

    assert response.context["partnership_requests"] == 1
    assert reverse("applications:partnerships") in response.content.decode()


# --------------------------------------------------------------------------- not on the portal


def test_editor_adds_a_partner_not_on_the_portal_and_it_is_in_the_snapshot(client, people):
    client.force_login(people["lead_editor"])

    response = client.post(
        _bid_url("bid_external_partner_add", people["bid"]),
        {
            "external-name": "Nordlicht Robotics",
            "external-country": "Germany",
            "external-kind": "company",
        },
    )

    partner = ExternalPartner.objects.get()
    assert response.status_code == 302
    assert (partner.name, partner.country, partner.added_by) == (
        "Nordlicht Robotics",
        "Germany",
        people["lead_editor"],
    )
    assert bid_content(bid=people["bid"])["partners"] == [
        {"name": "Nordlicht Robotics", "country": "Germany", "kind": "company", "external": True}
    ]


def test_external_partner_without_country_rerenders_with_the_users_data(client, people):
    client.force_login(people["lead_editor"])

    response = client.post(
        _bid_url("bid_external_partner_add", people["bid"]),
        {"external-name": "Nordlicht Robotics", "external-country": "", "external-kind": "company"},
    )

    assert response.status_code == 200
    assert response.context["external_form"].errors["country"]
    assert 'value="Nordlicht Robotics"' in response.content.decode()
    assert not ExternalPartner.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [("lead_coordinator", 302), ("lead_editor", 302), ("administrator", 403), ("other", 404)],
)
def test_remove_external_partner_by_role(client, people, role, status):
    partner = ExternalPartner.objects.create(
        bid=people["bid"], name="Nordlicht", country="Germany", kind="company"
    )
    client.force_login(people[role])

    response = client.post(_bid_url("bid_external_partner_remove", people["bid"], partner.pk))

    assert response.status_code == status
    assert ExternalPartner.objects.filter(pk=partner.pk).exists() == (status != 302)


@pytest.mark.parametrize("role", ["lead_coordinator", "lead_editor", "administrator"])
def test_consortium_page_shows_requests_and_external_partners(client, people, role):
    _requested(people)
    ExternalPartner.objects.create(
        bid=people["bid"], name="Nordlicht", country="Germany", kind="company"
    )
    client.force_login(people[role])

    response = client.get(_bid_url("bid_consortium", people["bid"]))

    assert response.status_code == 200
    assert [p.status for p in response.context["partnerships"]] == ["requested"]
    assert [p.name for p in response.context["external_partners"]] == ["Nordlicht"]
    assert (response.context["partner_form"] is not None) == (role == "lead_coordinator")


def test_bid_admin_lists_partnerships_and_external_partners_read_only(
    admin_client, admin_user, people
):
    enable_totp(admin_user)
    _requested(people)
    ExternalPartner.objects.create(
        bid=people["bid"], name="Nordlicht", country="Germany", kind="company"
    )

    response = admin_client.get(reverse("admin:applications_bid_change", args=[people["bid"].pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Partner University" in body
    assert "Nordlicht" in body


def test_every_change_is_appended_to_the_tamper_evident_record(client, people):
    from review.models import AuditEvent

    client.force_login(people["lead_coordinator"])
    client.post(
        _bid_url("bid_partner_request", people["bid"]),
        {"partner-institution": people["partner"].pk},
    )
    client.post(
        _bid_url("bid_external_partner_add", people["bid"]),
        {"external-name": "Nordlicht", "external-country": "Germany", "external-kind": "company"},
    )
    client.force_login(people["partner_coordinator"])
    client.post(reverse("applications:partnership_accept", args=[Partnership.objects.get().pk]))

    events = list(AuditEvent.objects.filter(kind="consortium_changed"))
    assert [(e.actor, e.payload.get("status") or e.payload["action"]) for e in events] == [
        (people["lead_coordinator"], "requested"),
        (people["lead_coordinator"], "added"),
        (people["partner_coordinator"], "accepted"),
    ]
    assert {e.bid_id for e in events} == {people["bid"].pk}
