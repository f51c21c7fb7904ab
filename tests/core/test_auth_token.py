import pytest

from salesgoals.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_token_for_valid_credentials_authenticates_requests(api_client) -> None:
    UserFactory(username="alice", role=Role.REP)
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": "pw-Secret-123"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/metrics/").status_code == 200


def test_wrong_password_is_a_structured_400(api_client) -> None:
    UserFactory(username="alice")
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_missing_fields_named(api_client) -> None:
    response = api_client.post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_api_requires_authentication(api_client) -> None:
    assert api_client.get("/api/v1/metrics/").status_code in (401, 403)


def test_repeated_failures_lock_the_account_out(client) -> None:
    UserFactory(username="bob")
    for _ in range(5):
        client.post("/accounts/login/", {"username": "bob", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "bob", "password": "pw-Secret-123"})
    assert response.status_code == 429
    assert b"Too many failed" in response.content


def test_schema_and_docs_are_served(client) -> None:
    client.force_login(UserFactory())
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/metrics/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
