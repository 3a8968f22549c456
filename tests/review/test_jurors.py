import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from review.models import JurorProfile
from review.services.jurors import AffiliationData, invite_juror
from tests.factories import (
    AffiliationFactory,
    CallFactory,
    InstitutionFactory,
    JurorProfileFactory,
    MembershipFactory,
)
from tests.review.jury_setup import administrator_with_totp, institution_member, juror_with_totp

pytestmark = pytest.mark.django_db

User = get_user_model()


def _invite(admin, **overrides):
    values = {
        "email": "ada@uni-example.de",
        "display_name": "Ada Lovelace",
        "country": "Germany",
        "expertise": "Machine learning",
        "keywords": "ml, nlp",
        "languages": "English, German",
        "calls": [],
        "affiliations": [],
        "by": admin,
        "set_password_url_builder": lambda uid, key: f"https://portal.test/set/{uid}-{key}/",
        "login_url": "https://portal.test/login/",
    }
    values.update(overrides)
    return invite_juror(**values)


def test_invite_juror_creates_account_without_password_and_verified_email(
    django_capture_on_commit_callbacks, mailoutbox
):
    admin = administrator_with_totp()
    call = CallFactory()
    institution = InstitutionFactory()

    with django_capture_on_commit_callbacks(execute=True):
        juror = _invite(
            admin,
            calls=[call],
            affiliations=[
                AffiliationData(institution=institution, organisation_name="", start_year=2019)
            ],
        )

    assert juror.user.has_usable_password() is False
    assert list(
        EmailAddress.objects.filter(user=juror.user).values_list("verified", "primary")
    ) == [(True, True)]
    assert list(juror.calls.all()) == [call]
    assert [a.organisation_name for a in juror.affiliations.all()] == [institution.name]
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@uni-example.de"]
    assert "https://portal.test/set/" in mailoutbox[0].body


def test_invite_juror_refuses_existing_juror():
    admin = administrator_with_totp()
    existing = JurorProfileFactory()

    with pytest.raises(ValidationError) as error:
        _invite(admin, email=existing.user.email.upper())

    assert error.value.message_dict["email"] == [
        f"{existing.user.email.upper()} is already a juror."
    ]


def test_invite_juror_refuses_institution_member():
    admin = administrator_with_totp()
    member = MembershipFactory().user

    with pytest.raises(ValidationError):
        _invite(admin, email=member.email)

    assert JurorProfile.objects.count() == 0


def test_invitation_link_lets_juror_set_password_once(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    admin = administrator_with_totp()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("review:juror_invite"),
            {
                "email": "grace@example.edu",
                "display_name": "Grace Hopper",
                "country": "United States",
                "affiliations-TOTAL_FORMS": "0",
                "affiliations-INITIAL_FORMS": "0",
            },
        )
    client.logout()
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mailoutbox[0].body)[1]

    redirect = client.get(link)
    set_form = redirect["Location"]
    response = client.post(
        set_form, {"password1": "a-long-new-passphrase-42", "password2": "a-long-new-passphrase-42"}
    )
    reused = client.get(link, follow=True)

    user = User.objects.get(email="grace@example.edu")
    assert response.status_code == 302
    assert user.check_password("a-long-new-passphrase-42") is True
    assert reused.context["token_fail"] is True


# Views: permissions ------------------------------------------------------------------

ADMIN_PAGES = ["review:juror_list", "review:juror_invite"]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_juror_admin_pages_redirect_anonymous_to_login(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_juror_admin_pages_refuse_institution_member(client, name):
    client.force_login(institution_member())

    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_juror_admin_pages_refuse_juror(client, name):
    client.force_login(juror_with_totp().user)

    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_juror_admin_pages_show_to_administrator(client, name):
    client.force_login(administrator_with_totp())

    assert client.get(reverse(name)).status_code == 200


def test_juror_edit_refuses_juror_and_member(client):
    juror = juror_with_totp()
    url = reverse("review:juror_edit", args=[juror.pk])

    client.force_login(juror.user)
    as_juror = client.get(url)
    client.force_login(institution_member())
    as_member = client.get(url)

    assert (as_juror.status_code, as_member.status_code) == (403, 403)


def test_juror_edit_replaces_affiliations(client):
    juror = juror_with_totp()
    AffiliationFactory(juror=juror)
    institution = InstitutionFactory()
    call = CallFactory()
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("review:juror_edit", args=[juror.pk]),
        {
            "display_name": "Juror renamed",
            "country": "Italy",
            "calls": [call.pk],
            "affiliations-TOTAL_FORMS": "1",
            "affiliations-INITIAL_FORMS": "0",
            "affiliations-0-institution": institution.pk,
            "affiliations-0-start_year": "2010",
            "affiliations-0-end_year": "2022",
        },
    )

    juror.refresh_from_db()
    assert response.status_code == 302
    assert juror.display_name == "Juror renamed"
    assert [(a.institution_id, a.end_year) for a in juror.affiliations.all()] == [
        (institution.pk, 2022)
    ]
    assert list(juror.calls.all()) == [call]


def test_juror_invite_rerenders_invalid_affiliation_with_data(client):
    client.force_login(administrator_with_totp())

    response = client.post(
        reverse("review:juror_invite"),
        {
            "email": "x@example.org",
            "display_name": "X",
            "country": "Spain",
            "affiliations-TOTAL_FORMS": "1",
            "affiliations-INITIAL_FORMS": "0",
            "affiliations-0-organisation_name": "Lab",
            "affiliations-0-start_year": "2020",
            "affiliations-0-end_year": "2010",
        },
    )

    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["end_year"] == [
        "The affiliation cannot end before it starts."
    ]
    assert JurorProfile.objects.count() == 0


def test_own_profile_lets_juror_edit_expertise(client):
    juror = juror_with_totp()
    client.force_login(juror.user)

    response = client.post(
        reverse("review:juror_profile"),
        {"expertise": "Robotics and control", "keywords": "robots", "languages": "English"},
    )

    juror.refresh_from_db()
    assert response.status_code == 302
    assert (juror.expertise, juror.keywords) == ("Robotics and control", "robots")


def test_own_profile_refuses_administrator_without_profile(client):
    client.force_login(administrator_with_totp())

    assert client.get(reverse("review:juror_profile")).status_code == 403


@pytest.mark.parametrize("count", [1, 10])
def test_juror_list_queries_do_not_grow_with_jurors(client, django_assert_max_num_queries, count):
    call = CallFactory()
    for _ in range(count):
        juror = juror_with_totp(call=call)
        AffiliationFactory(juror=juror)
    client.force_login(administrator_with_totp())

    with django_assert_max_num_queries(9):
        response = client.get(reverse("review:juror_list"))

    assert len(response.context["page"]) == count


def test_juror_edit_shows_profile_and_affiliations_to_administrator(client):
    juror = juror_with_totp()
    AffiliationFactory(juror=juror, organisation_name="Max Planck Institute", institution=None)
    client.force_login(administrator_with_totp())

    response = client.get(reverse("review:juror_edit", args=[juror.pk]))

    assert response.status_code == 200
    assert response.context["formset"].forms[0].initial["organisation_name"] == (
        "Max Planck Institute"
    )


def test_own_profile_lets_juror_agree_to_be_listed_then_withdraw(client):
    juror = juror_with_totp()
    client.force_login(juror.user)
    url = reverse("review:juror_profile")
    assert juror.listed_publicly is False
    assert "List me on the public results page" in client.get(url).content.decode()

    client.post(url, {"expertise": "Robotics", "listed_publicly": "on"})
    juror.refresh_from_db()
    agreed = juror.listed_publicly
    client.post(url, {"expertise": "Robotics"})
    juror.refresh_from_db()

    assert (agreed, juror.listed_publicly) == (True, False)


def test_juror_edit_records_the_jurors_agreement_to_be_listed(client):
    juror = juror_with_totp()
    client.force_login(administrator_with_totp())
    url = reverse("review:juror_edit", args=[juror.pk])
    data = {
        "display_name": juror.display_name,
        "country": juror.country,
        "listed_publicly": "on",
        "affiliations-TOTAL_FORMS": "0",
        "affiliations-INITIAL_FORMS": "0",
    }

    response = client.post(url, data)

    juror.refresh_from_db()
    assert response.status_code == 302
    assert juror.listed_publicly is True
    assert client.get(url).context["form"].initial["listed_publicly"] is True


def test_invite_juror_is_not_listed_unless_agreed():
    juror = _invite(administrator_with_totp())
    listed = _invite(administrator_with_totp(), email="grace@uni.example", listed_publicly=True)

    assert (juror.listed_publicly, listed.listed_publicly) == (False, True)


def test_juror_list_shows_who_agreed_to_be_listed(client):
    juror_with_totp(display_name="Ada Listed", listed_publicly=True)
    juror_with_totp(display_name="Bob Unlisted")
    client.force_login(administrator_with_totp())

    html = client.get(reverse("review:juror_list")).content.decode()

    rows = {name: html.split(name)[1].split("</tr>")[0] for name in ("Ada Listed", "Bob Unlisted")}
    assert ("<td>yes</td>" in rows["Ada Listed"], "<td>yes</td>" in rows["Bob Unlisted"]) == (
        True,
        False,
    )
