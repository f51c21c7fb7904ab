"""Scope: reps see only their own statements, managers their subtree, executives and admins
all — pages, API and exports alike; workflow actions follow the same rules."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from incentives import services
from incentives.models import Statement
from tests.core.org_fixtures import Org, org_fixture  # noqa: F401
from tests.incentives.helpers import BADGE, COMMISSION, TIERED, make_plan, quarters, set_cell

pytestmark = pytest.mark.django_db

M = 100


@pytest.fixture
def statements(org: Org) -> dict[str, Statement]:
    q1, *_ = quarters()
    make_plan(org.admin, TIERED, COMMISSION, BADGE)
    out = {}
    for name, rep, actual in (
        ("a", org.rep, 1_250_000),
        ("b", org.rep_b, 900_000),
        ("c", org.rep_c, 1_000_000),
    ):
        set_cell(rep, q1, actual=actual * M, target=1_000_000 * M)
        out[name] = services.statement_compute(person=rep, period=q1)
    return out


def api_people(client, user, query: str = "") -> set[str]:
    client.force_authenticate(user)
    response = client.get(f"/api/v1/statements/{query}")
    assert response.status_code == 200
    return {row["person_name"] for row in response.json()["results"]}


def test_api_list_per_role(org: Org, statements, api_client) -> None:
    assert api_people(api_client, org.rep) == {"Rep A"}
    assert api_people(api_client, org.manager) == {"Rep A", "Rep B"}
    assert api_people(api_client, org.manager_south) == {"Rep C"}
    assert api_people(api_client, org.executive) == {"Rep A", "Rep B", "Rep C"}
    assert api_people(api_client, org.admin) == {"Rep A", "Rep B", "Rep C"}
    assert api_people(api_client, org.manager, f"?org_unit={org.team_b.pk}") == {"Rep B"}
    assert api_people(api_client, org.rep, f"?person={org.rep_b.pk}") == set()


def test_api_detail_403_outside_and_404_unknown(org: Org, statements, api_client) -> None:
    api_client.force_authenticate(org.rep)
    own = api_client.get(f"/api/v1/statements/{statements['a'].pk}/")
    assert own.status_code == 200
    lines = own.json()["lines"]
    assert lines[0]["formula"].endswith("= 15000.00")
    assert lines[0]["amount"] == "15000.00"
    assert lines[0]["inputs"]["attainment_pct"] == "125"
    assert api_client.get(f"/api/v1/statements/{statements['b'].pk}/").status_code == 403
    assert api_client.get("/api/v1/statements/999999/").status_code == 404
    api_client.force_authenticate(org.manager_south)
    assert api_client.get(f"/api/v1/statements/{statements['a'].pk}/").status_code == 403


def test_exports_hold_only_rows_in_scope(org: Org, statements, api_client) -> None:
    api_client.force_authenticate(org.manager)
    response = api_client.get("/api/v1/statements/?format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["person_name"] for r in rows} == {"Rep A", "Rep B"}
    api_client.force_authenticate(org.rep)
    response = api_client.get("/api/v1/statements/?format=xlsx")
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    response = api_client.get("/api/v1/statements/?format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["person_name"] for r in rows] == ["Rep A"]


def test_payroll_export(org: Org, statements, client) -> None:
    services.statement_approve(actor=org.manager, statement=statements["a"])
    services.statement_approve(actor=org.manager_south, statement=statements["c"])
    client.force_login(org.rep)
    assert client.get(reverse("incentives:payroll")).status_code == 403
    client.force_login(org.manager)
    body = client.get(reverse("incentives:payroll") + "?format=csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["employee"], r["amount"], r["status"]) for r in rows] == [
        ("r", "30000.00", "approved")  # 15,000 capped bonus + 10,000 + 5,000 commission; B: draft
    ]
    client.force_login(org.admin)
    response = client.get(reverse("incentives:payroll") + "?format=xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="payroll.xlsx"'


def test_pages_per_role(org: Org, statements, client) -> None:
    client.force_login(org.rep)
    page = client.get(reverse("incentives:statements")).content.decode()
    assert "Rep A" in page
    assert "Rep B" not in page
    assert "Rep C" not in page
    assert (
        client.get(reverse("incentives:statement-detail", args=[statements["b"].pk])).status_code
        == 403
    )
    detail = client.get(reverse("incentives:statement-detail", args=[statements["a"].pk]))
    assert "10000.00 × 150% = 15000.00" in detail.content.decode()
    assert '"x": ["125"], "y": ["15000.00"]' in detail.content.decode()  # you on the curve
    assert b'data-testid="approve"' not in detail.content  # never one's own
    home = client.get(reverse("incentives:home")).content.decode()
    assert "Star" in home  # the ≥120% badge
    client.force_login(org.manager)
    page = client.get(reverse("incentives:statements")).content.decode()
    assert "Rep A" in page
    assert "Rep B" in page
    assert "Rep C" not in page
    detail = client.get(reverse("incentives:statement-detail", args=[statements["b"].pk]))
    assert b'data-testid="approve"' in detail.content
    assert (
        client.get(reverse("incentives:statement-detail", args=[statements["c"].pk])).status_code
        == 403
    )
    assert client.get(reverse("incentives:statement-detail", args=[99999])).status_code == 404


def test_page_workflow(org: Org, statements, client) -> None:
    target = statements["b"]
    client.force_login(org.manager_south)
    assert client.post(reverse("incentives:statement-approve", args=[target.pk])).status_code == 403
    client.force_login(org.manager)
    client.post(reverse("incentives:statement-approve", args=[target.pk]))
    assert client.post(reverse("incentives:statement-pay", args=[target.pk])).status_code == 403
    client.force_login(org.admin)
    client.post(reverse("incentives:statement-pay", args=[target.pk]))
    target.refresh_from_db()
    assert target.status == Statement.Status.PAID


def test_api_workflow_and_what_if(org: Org, statements, api_client) -> None:
    target = statements["b"]
    api_client.force_authenticate(org.rep_b)
    assert api_client.post(f"/api/v1/statements/{target.pk}/approve/").status_code == 403
    answer = api_client.post(
        "/api/v1/statements/what-if/",
        {"amount": "100000.00", "period": target.period_id},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert data["current_total"] == "16500.00"  # 75% of 10,000 + 9,000 commission
    assert data["total"] == "20000.00"  # 100%: 10,000 + 10,000
    assert data["difference"] == "3500.00"
    assert data["current_total"] == str(target.total_minor / 100) + "0"
    negative = api_client.post("/api/v1/statements/what-if/", {"amount": "-1"}, format="json")
    assert negative.status_code == 400
    api_client.force_authenticate(org.manager)
    approved = api_client.post(f"/api/v1/statements/{target.pk}/approve/")
    assert approved.json()["status"] == "approved"
    assert api_client.post(f"/api/v1/statements/{target.pk}/pay/").status_code == 403
    assert api_client.post(f"/api/v1/statements/{target.pk}/approve/").status_code == 400
    api_client.force_authenticate(org.admin)
    assert api_client.post(f"/api/v1/statements/{target.pk}/pay/").json()["status"] == "paid"
    computed = api_client.post(
        "/api/v1/statements/compute/",
        {"plan": target.plan_id, "period": target.period_id},
        format="json",
    )
    assert computed.json() == {"computed": 3}
    api_client.force_authenticate(org.manager)
    assert api_client.post("/api/v1/statements/compute/", {}, format="json").status_code == 403


def test_list_query_count(org: Org, statements, api_client, django_assert_max_num_queries) -> None:
    api_client.force_authenticate(org.manager)
    # session/auth, managed roots, count, the page with person, unit, period, plan joined
    with django_assert_max_num_queries(6):
        assert api_client.get("/api/v1/statements/").status_code == 200


def test_badges_and_leaderboard_api(org: Org, statements, api_client) -> None:
    api_client.force_authenticate(org.manager)
    award = api_client.post(
        "/api/v1/badges/",
        {"person": org.rep_b.pk, "badge": "Team player", "message": "Helped close Acme"},
        format="json",
    )
    assert award.status_code == 201
    denied = api_client.post(
        "/api/v1/badges/", {"person": org.rep_c.pk, "badge": "X"}, format="json"
    )
    assert denied.status_code == 403
    api_client.force_authenticate(org.rep_c)
    badges = api_client.get("/api/v1/badges/").json()["results"]
    assert {(b["person_name"], b["badge"]) for b in badges} == {
        ("Rep A", "Star"),
        ("Rep B", "Team player"),
    }
    q1 = statements["a"].period
    board = api_client.get(f"/api/v1/leaderboards/?metric=revenue&period={q1.pk}").json()
    ranked = [(r["rank"], r["person_name"], r["attainment"], r["top"]) for r in board["results"]]
    assert ranked == [
        (1, "Rep A", "125.00", True),
        (2, "Rep C", "100.00", True),
        (3, "Rep B", "90.00", True),
    ]
    assert board["results"][0]["badges"] == ["Star"]
    team = api_client.get(f"/api/v1/leaderboards/?period={q1.pk}&scope=team").json()
    assert [r["person_name"] for r in team["results"]] == ["Rep C"]


def test_pages_read_a_fixed_number_of_queries(
    org: Org, statements, client, django_assert_max_num_queries
) -> None:
    client.force_login(org.manager)
    client.get(reverse("incentives:statements"))  # warm the session and caches
    # session, user, roots (filter, units, actions), count, page, periods, units, unread …
    with django_assert_max_num_queries(12):
        assert client.get(reverse("incentives:statements")).status_code == 200
    with django_assert_max_num_queries(12):
        detail = reverse("incentives:statement-detail", args=[statements["a"].pk])
        assert client.get(detail).status_code == 200


def test_leaderboard_exports(org: Org, statements, api_client) -> None:
    api_client.force_authenticate(org.rep)
    q1 = statements["a"].period
    response = api_client.get(f"/api/v1/leaderboards/?period={q1.pk}&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["person_name"] for r in rows] == ["Rep A", "Rep C", "Rep B"]


def test_bulk_approve_only_in_scope(org: Org, statements, client) -> None:
    client.force_login(org.manager)
    page = client.get(reverse("incentives:statements") + "?status=draft").content.decode()
    assert "Approve the 2 drafts on this page" in page
    ids = [s.pk for s in statements.values()]
    response = client.post(
        reverse("incentives:statements-approve"), {"ids": ids, "next": "https://evil.example/"}
    )
    assert response.url == reverse("incentives:statements")  # no open redirect
    statuses = {k: Statement.objects.get(pk=s.pk).status for k, s in statements.items()}
    assert statuses == {"a": "approved", "b": "approved", "c": "draft"}


def test_a_rep_who_moves_keeps_old_statements_with_the_old_manager(org: Org, statements) -> None:
    from incentives import selectors
    from salesgoals import services as core

    core.user_update(by=org.admin, user=org.rep, org_unit=org.team_c)
    org.rep.refresh_from_db()
    statement = Statement.objects.select_related("person__org_unit", "org_unit").get(
        pk=statements["a"].pk
    )
    assert selectors.statement_can_view(org.manager, statement)  # computed in Team A
    assert selectors.statement_can_view(org.manager_south, statement)  # the rep's unit now
    assert statement.pk in set(
        selectors.statements_visible(org.manager).values_list("pk", flat=True)
    )


def test_api_recompute_follows_new_kpis_only_for_drafts(org: Org, statements, api_client) -> None:
    q1 = statements["a"].period
    set_cell(org.rep, q1, actual=1_000_000 * M, target=1_000_000 * M)
    api_client.force_authenticate(org.rep)
    own = f"/api/v1/statements/{statements['a'].pk}/recompute/"
    assert api_client.post(own).status_code == 403  # reps do not recompute
    api_client.force_authenticate(org.manager)
    assert api_client.post(own).json()["total"] == "20000.00"
    api_client.post(f"/api/v1/statements/{statements['a'].pk}/approve/")
    assert api_client.post(own).status_code == 403  # frozen
