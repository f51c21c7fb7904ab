"""Rate limits, token expiry mid-run, 5xx, slow answers, bad credentials and bad records."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db.models import Sum

from crm_sync.models import SyncError, SyncRun, SyncState
from crm_sync.providers import provider_for
from kpis.models import Deal, Source
from salesgoals import money
from tests.crm_sync.conftest import ZOHO_SECRETS, fx_connection, run_now, zoho_connection

pytestmark = pytest.mark.django_db


def _zoho_deals(fake, n: int) -> str:
    owner = fake.add_user("Rep A", "r@example.com")
    for i in range(n):
        fake.add_deal(owner, Decimal(f"{10 + i}.50"))
    return owner


def _fx_deals(fake, n: int) -> str:
    owner = fake.add_user("Rep A", "r@example.com")
    for i in range(n):
        fake.add_deal(owner, f"{10 + i}.50")
    return owner


def _same_as_crm(source: str, crm_amounts: list) -> None:
    alive = Deal.objects.alive().filter(source=source)
    assert alive.count() == len(crm_amounts)
    expected = sum(money.to_minor(Decimal(str(a))) for a in crm_amounts)
    assert alive.aggregate(s=Sum("original_amount_minor"))["s"] == expected


def test_zoho_rate_limit_honours_retry_after(org, zoho, sleeps) -> None:
    _zoho_deals(zoho, 450)
    zoho.retry_after = 7
    zoho.rate_limit_next = 3
    run = run_now(zoho_connection(zoho), sleeps)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert sleeps[:3] == [7.0, 7.0, 7.0]
    _same_as_crm(Source.ZOHO, [d["Amount"] for d in zoho.alive("Deals")])


def test_zoho_token_expiry_mid_run_refreshes_once_and_loses_nothing(org, zoho, sleeps) -> None:
    _zoho_deals(zoho, 650)
    zoho.expire_tokens_after = 6  # the token is revoked after six API calls
    run = run_now(zoho_connection(zoho), sleeps)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert zoho.counts["expired"] == 1
    assert zoho.token_calls == 2
    _same_as_crm(Source.ZOHO, [d["Amount"] for d in zoho.alive("Deals")])


def test_zoho_transient_5xx_and_slow_answers_are_retried(org, zoho, sleeps, settings) -> None:
    settings.CRM_SYNC = {**settings.CRM_SYNC, "HTTP_TIMEOUT": 0.2}
    _zoho_deals(zoho, 420)
    zoho.fail_next = 2
    connection = zoho_connection(zoho)
    zoho.slow_next, zoho.slow_seconds = 1, 0.5  # the token call times out once
    run = run_now(connection, sleeps)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert zoho.counts["failed"] == 2
    assert len(sleeps) == 3
    _same_as_crm(Source.ZOHO, [d["Amount"] for d in zoho.alive("Deals")])


def test_fxiaoke_rate_limit_codes_token_expiry_and_busy(org, fxiaoke, sleeps) -> None:
    _fx_deals(fxiaoke, 350)
    fxiaoke.rate_limit_next = 2  # errorCode 30004 on HTTP 200
    run = run_now(fx_connection(fxiaoke), sleeps)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert (fxiaoke.counts["rate_limited"], len(sleeps)) == (2, 2)

    for i in range(120):
        fxiaoke.add_deal(fxiaoke.users[0]["openUserId"], f"{i}.01")
    fxiaoke.expire_tokens_after = 2  # errorCode 20016 mid-run
    fxiaoke.fail_next = 1  # errorCode -1 (system busy)
    run = run_now(SyncRun.objects.get(pk=run.pk).connection, sleeps)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert (fxiaoke.counts["expired"], fxiaoke.counts["failed"]) == (1, 1)
    assert len(fxiaoke.token_times) == 2
    _same_as_crm(Source.FXIAOKE, [d["amount"] for d in fxiaoke.alive("NewOpportunityObj")])


def test_rate_limit_past_the_retries_fails_the_run_and_the_rerun_resumes(
    org, zoho, sleeps, settings
) -> None:
    settings.CRM_SYNC = {**settings.CRM_SYNC, "MAX_RETRIES": 1}
    _zoho_deals(zoho, 1000)
    connection = zoho_connection(zoho, objects_enabled=["Deals"])
    zoho.expire_tokens_after = None
    # Given the CRM refuses every call after the third page of deals
    calls = {"n": 0}
    original = zoho.list_records

    def flaky(module, query, since_ms):
        calls["n"] += 1
        if calls["n"] > 3:
            return zoho.error(429, "TOO_MANY_REQUESTS", "Rate limit exceeded", {})
        return original(module, query, since_ms)

    zoho.list_records = flaky
    run = run_now(connection, sleeps)
    assert run.status == SyncRun.Status.FAILED
    assert "TOO_MANY_REQUESTS" in run.error
    assert Deal.objects.filter(source=Source.ZOHO).count() == 600
    state = SyncState.objects.get(connection=connection, crm_object="Deals", phase="records")
    assert state.cursor["pos"] == {"page": 4}

    # When the CRM answers again and the next run starts
    zoho.list_records = original
    run = run_now(connection, sleeps)

    # Then it resumes at page 4 and ends with exactly the CRM's deals
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.fetched == 400
    _same_as_crm(Source.ZOHO, [d["Amount"] for d in zoho.alive("Deals")])


def test_invalid_credentials_fail_clearly_without_the_secret(org, zoho, sleeps, caplog) -> None:
    connection = zoho_connection(
        zoho, secrets={**ZOHO_SECRETS, "client_secret": "wrong-secret-value-123"}
    )
    run = run_now(connection, sleeps)
    assert run.status == SyncRun.Status.FAILED
    assert "invalid_client" in run.error
    assert "wrong-secret-value-123" not in run.error
    assert "wrong-secret-value-123" not in caplog.text


def test_bad_records_are_logged_and_skipped(org, zoho, sleeps) -> None:
    owner = _zoho_deals(zoho, 5)
    stranger = zoho.add_user("Nobody Here", "nobody@elsewhere.example")
    bad_amount = zoho.add_deal(owner, "a lot")
    no_date = zoho.add_deal(owner, Decimal("5.00"), Closing_Date=None, Created_Time=None)
    unmapped = zoho.add_deal(stranger, Decimal("6.00"))
    foreign = zoho.add_deal(owner, Decimal("100.00"), Currency="USD", Exchange_Rate=Decimal("0.14"))
    no_rate = zoho.add_deal(owner, Decimal("100.00"), Currency="EUR")

    run = run_now(zoho_connection(zoho), sleeps)

    assert run.status == SyncRun.Status.PARTIAL
    assert run.failed == 4
    failed = dict(SyncError.objects.filter(run=run).values_list("external_id", "message"))
    assert set(failed) == {bad_amount, no_date, unmapped, no_rate}
    assert "Nobody Here" in failed[unmapped]
    assert "EUR" in failed[no_rate]
    assert Deal.objects.filter(source=Source.ZOHO).count() == 6
    usd = Deal.objects.get(external_id=foreign)
    # Zoho's rate is USD per CNY (0.14): 100 USD = 714.29 CNY at the inverted rate
    assert (usd.currency, usd.original_amount_minor, usd.amount_minor) == ("USD", 10000, 71429)


def test_token_refresh_is_single_flight_across_threads(org, fxiaoke) -> None:
    connection = fx_connection(fxiaoke)
    fxiaoke.token_delay = 0.2
    tokens = []

    def fetch() -> None:
        provider = provider_for(connection)
        tokens.append(provider.token()["token"])
        provider.close()

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fxiaoke.token_times) == 1
    assert fxiaoke.token_concurrency_violations == 0
    assert len(set(tokens)) == 1


def test_other_zoho_error_codes_are_reported_with_code_and_message(org, zoho, sleeps) -> None:
    _zoho_deals(zoho, 3)
    connection = zoho_connection(zoho, objects_enabled=["Deals"])
    zoho.list_records = lambda module, query, since_ms: zoho.error(
        403, "NO_PERMISSION", "permission denied", {"permissions": ["Crm_Implied_View_Deals"]}
    )
    run = run_now(connection, sleeps)
    assert run.status == SyncRun.Status.FAILED
    assert "NO_PERMISSION" in run.error
    assert "permission denied" in run.error
    assert sleeps == []  # not retried


def test_fxiaoke_token_calls_stay_within_ten_a_minute(org, fxiaoke, sleeps) -> None:
    connection = fx_connection(fxiaoke)
    fxiaoke.token_limit_per_minute = 100  # our own budget is under test, not the fake's
    provider = provider_for(connection, sleep=sleeps)
    for _ in range(11):
        provider.tokens.forget()
        provider.token()
    assert len(sleeps) == 1  # the 11th call waited for the next minute
    assert 0 < sleeps[0] <= 60.02


def test_fxiaoke_calls_to_one_interface_are_spaced(org, fxiaoke, sleeps, settings) -> None:
    settings.CRM_SYNC = {**settings.CRM_SYNC, "FXIAOKE_MIN_INTERVAL": 0.2}
    provider = provider_for(fx_connection(fxiaoke), sleep=sleeps)
    provider.users()
    provider.users()
    provider.field_names("AccountObj")  # another interface: no wait
    assert len(sleeps) == 1
    assert 0 < sleeps[0] <= 0.2


def test_fxiaoke_token_budget_lets_a_call_through_when_the_cache_cannot_count(
    fxiaoke, monkeypatch
) -> None:
    # With Redis down, the cache's errors read as misses: incr answers None, not a count.
    from crm_sync.providers import fxiaoke as module

    waits: list[float] = []
    provider = provider_for(fx_connection(fxiaoke), sleep=waits.append)
    monkeypatch.setattr(module.cache, "add", lambda *a, **k: False)
    monkeypatch.setattr(module.cache, "incr", lambda *a, **k: None)
    provider._token_budget()
    assert waits == []
