import pytest


@pytest.mark.django_db
def test_home_anonymous_lists_open_calls(client):
    from tests.factories import CallFactory

    CallFactory(title_en="AI clusters")
    response = client.get("/")
    assert response.status_code == 200
    assert "AI clusters" in response.content.decode()
