"""CRM settings in the audit history: connections (never their secrets), mappings, users."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from rest_framework.authtoken.models import Token

from crm_sync import services
from crm_sync.models import Connection, CrmUser, ObjectMapping
from crm_sync.providers.base import CrmUserInfo
from crm_sync.services.sync import users_refresh
from salesgoals.history import acting
from tests.audit.helpers import changed, entry_of, history
from tests.core.org_fixtures import Org, org_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

SECRETS = {"client_secret": "s3cr3t-client-value", "refresh_token": "1000.r3fresh.t0ken"}
NEW_SECRET = "n3w-client-secret-value"


def _connection(**fields) -> Connection:
    return services.connection_create(
        provider="zoho",
        name="Zoho CN",
        region="cn",
        client_id="1000.CLIENT",
        secrets=SECRETS,
        **fields,
    )


def _all_history_text() -> str:
    """Every value of every history table, as text."""
    rows = []
    for model in apps.get_models():
        if model.__name__.startswith("Historical"):
            rows.extend(model.objects.values())
    return json.dumps(rows, cls=DjangoJSONEncoder, ensure_ascii=False)


def test_connection_history_has_a_fingerprint_never_the_secrets(org: Org, api_client) -> None:
    connection = _connection()
    services.connection_update(connection=connection, secrets={"client_secret": NEW_SECRET})
    services.connection_update(connection=connection, schedule_minutes=30)
    created, rotated, rescheduled = history(Connection, id=connection.pk)
    assert created.secrets_fingerprint.startswith("client_secret:")
    assert "refresh_token:" in created.secrets_fingerprint
    assert rotated.secrets_fingerprint != created.secrets_fingerprint
    assert rescheduled.secrets_fingerprint == rotated.secrets_fingerprint
    diff = changed(entry_of(rotated))
    assert set(diff) == {"secrets_fingerprint"}  # which secret changed, not its value
    assert changed(entry_of(rescheduled)) == {"schedule_minutes": ("60", "30")}
    text = _all_history_text()
    for secret in (*SECRETS.values(), NEW_SECRET):
        assert secret not in text
    assert connection.secrets_encrypted[:40] not in text  # nor the ciphertext
    # Nor anywhere in what the audit API and its export show.
    api_client.force_authenticate(org.admin)
    for fmt in ("json", "csv"):
        body = api_client.get("/api/v1/audit/", {"area": "crm", "format": fmt}).content.decode()
        assert "Zoho CN" in body
        for secret in (*SECRETS.values(), NEW_SECRET):
            assert secret not in body


def test_rotating_secrets_is_recorded_without_changing_the_fingerprint(org: Org, settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.FIELD_ENCRYPTION_KEY = "MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA="
    connection = _connection()
    settings.FIELD_ENCRYPTION_KEYS = [
        "MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE=",
        settings.FIELD_ENCRYPTION_KEY,
    ]
    assert services.secrets_rotate() == 1
    before, after = history(Connection, id=connection.pk)
    assert after.history_change_reason == "Secrets re-encrypted with the current key"
    assert after.secrets_fingerprint == before.secrets_fingerprint
    assert SECRETS["client_secret"] not in _all_history_text()


def test_test_results_and_run_status_stay_out_of_the_history(org: Org) -> None:
    connection = _connection()
    count = len(history(Connection, id=connection.pk))
    Connection.objects.filter(pk=connection.pk).update(last_status="failed", last_error="boom")
    assert not hasattr(Connection.history.model, "last_error")
    assert len(history(Connection, id=connection.pk)) == count


def test_field_and_stage_mapping_changes_are_diffed_key_by_key(org: Org, api_client) -> None:
    connection = _connection()
    mapping = ObjectMapping.objects.get(connection=connection, crm_object="Deals")
    token = Token.objects.create(user=org.admin)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    stage_map = {**mapping.stage_map, "Closed Won": "won", "Negotiation": "lost"}
    response = api_client.patch(
        f"/api/v1/crm/mappings/{mapping.pk}/", {"stage_map": stage_map}, format="json"
    )
    assert response.status_code == 200, response.content
    row = history(ObjectMapping, id=mapping.pk)[-1]
    assert row.history_user == org.admin  # the token's user
    diff = changed(entry_of(row))
    assert diff["stage_map[Negotiation]"] == ("", "lost")
    assert set(diff) <= {"stage_map[Negotiation]", "stage_map[Closed Won]"}


def test_user_mapping_by_hand_and_by_refresh(org: Org) -> None:
    connection = _connection()

    class Provider:
        def users(self) -> list[CrmUserInfo]:
            return [
                CrmUserInfo(external_id="z1", name="Zed", email=org.rep.email, active=True),
                CrmUserInfo(external_id="z2", name="Yan", email="", active=True),
            ]

    users_refresh(connection=connection, provider=Provider())
    zed = CrmUser.objects.get(external_id="z1")
    (created,) = history(CrmUser, id=zed.pk)
    assert created.history_change_reason == "CRM users refreshed"
    assert created.user_id == org.rep.pk
    yan = CrmUser.objects.get(external_id="z2")
    with acting(org.admin):
        services.crm_user_map(crm_user=yan, user=org.rep_b)
    row = history(CrmUser, id=yan.pk)[-1]
    assert row.history_user == org.admin
    assert changed(entry_of(row))["user"] == ("", "Rep B")
