import pytest


@pytest.mark.django_db
def test_home_anonymous_lists_open_calls(client):
    from tests.factories import CallFactory

    CallFactory(title_en="AI clusters")
    response = client.get("/")
    assert response.status_code == 200
    assert "AI clusters" in response.content.decode()


def test_hypothesis_ci_profile_is_derandomized():
    from hypothesis import settings as hypothesis_settings

    assert hypothesis_settings.get_profile("ci").derandomize is True
    assert hypothesis_settings.get_profile("dev").print_blob is True
