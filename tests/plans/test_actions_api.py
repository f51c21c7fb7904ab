"""strategies/, action-plans/, tasks/ through the API: scope per role, who writes what, filters,
structured 400s and scoped exports."""

from __future__ import annotations

import csv
import io

import pytest

from plans.models import Task
from plans.services import actions as services
from tests.core.org_fixtures import Org, org_fixture  # noqa: F401
from tests.plans.actions_fixtures import days, make_action_plan, make_strategy, make_task

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def world(org: Org) -> dict:
    strategy = make_strategy(org)
    team_a = make_action_plan(org, title="Team A push", strategy=strategy)
    south_strategy = make_strategy(
        org, actor=org.manager_south, owner=org.manager_south, org_unit=org.south, name="South"
    )
    south = make_action_plan(
        org,
        actor=org.manager_south,
        title="South push",
        org_unit=org.team_c,
        owner=org.manager_south,
        strategy=south_strategy,
    )
    first = make_task(team_a, org.manager, org.rep, start=0, due=5, title="Prepare")
    second = make_task(
        team_a, org.manager, org.rep, start=6, due=12, title="Visit", depends_on=[first]
    )
    other = make_task(team_a, org.manager, org.rep_b, start=0, due=3, title="Helper")
    south_task = make_task(south, org.manager_south, org.rep_c, title="South call")
    return {
        "strategy": strategy,
        "south_strategy": south_strategy,
        "team_a": team_a,
        "south": south,
        "first": first,
        "second": second,
        "other": other,
        "south_task": south_task,
    }


def get(client, user, url: str):
    client.force_authenticate(user)
    return client.get(f"{API}/{url}")


def titles(client, user, url: str, key: str = "title") -> set[str]:
    response = get(client, user, url)
    assert response.status_code == 200, response.content
    return {row[key] for row in response.json()["results"]}


def test_lists_and_details_follow_scope(org: Org, api_client, world) -> None:
    assert titles(api_client, org.rep, "action-plans/") == {"Team A push"}
    assert titles(api_client, org.rep_c, "action-plans/") == {"South push"}
    assert titles(api_client, org.manager, "action-plans/") == {"Team A push"}
    assert titles(api_client, org.executive, "action-plans/") == {"Team A push", "South push"}
    assert titles(api_client, org.rep, "strategies/", "name") == {world["strategy"].name}
    assert titles(api_client, org.admin, "strategies/", "name") == {world["strategy"].name, "South"}
    assert titles(api_client, org.rep_c, "tasks/") == {"South call"}
    assert titles(api_client, org.rep_b, "tasks/") == {"Helper", "Prepare", "Visit"}

    for user, url, code in [
        (org.rep, f"action-plans/{world['south'].pk}/", 403),
        (org.manager, f"tasks/{world['south_task'].pk}/", 403),
        (org.rep_c, f"strategies/{world['strategy'].pk}/", 403),
        (org.executive, f"action-plans/{world['south'].pk}/", 200),
        (org.rep, "action-plans/999999/", 404),
        (org.rep, "tasks/999999/", 404),
        (org.rep, "strategies/999999/", 404),
    ]:
        assert get(api_client, user, url).status_code == code, (user, url)

    detail = get(api_client, org.rep, f"action-plans/{world['team_a'].pk}/").json()
    assert [t["title"] for t in detail["tasks"]] == ["Helper", "Prepare", "Visit"]
    assert detail["progress"] == 0
    assert detail["blocked_task_count"] == 1
    visit = next(t for t in detail["tasks"] if t["title"] == "Visit")
    assert visit["depends_on"] == [world["first"].pk]
    assert visit["status"] == "blocked"


def test_filters(org: Org, api_client, world) -> None:
    services.task_set_status(actor=org.rep, task=world["first"], status="done")
    assert titles(api_client, org.manager, "tasks/?status=done") == {"Prepare"}
    assert titles(api_client, org.manager, "tasks/?status=todo,done") == {
        "Prepare",
        "Visit",
        "Helper",
    }
    assert titles(api_client, org.manager, f"tasks/?owner={org.rep_b.pk}") == {"Helper"}
    assert titles(api_client, org.rep, "tasks/?mine=1") == {"Prepare", "Visit"}
    due = days(5).isoformat()
    assert titles(api_client, org.manager, f"tasks/?due_before={due}") == {"Prepare", "Helper"}
    assert titles(api_client, org.manager, f"tasks/?due_after={due}") == {"Prepare", "Visit"}
    assert titles(api_client, org.manager, "tasks/?due_before=soon") == set()
    assert titles(api_client, org.executive, f"tasks/?org_unit={org.south.pk}") == {"South call"}
    assert titles(api_client, org.executive, f"action-plans/?org_unit={org.north.pk}") == {
        "Team A push"
    }
    # Overdue is relative to today: move the open tasks into the future, one into the past.
    Task.objects.update(start_date="2099-01-01", due_date="2099-01-02")
    Task.objects.filter(pk=world["other"].pk).update(start_date="2020-01-01", due_date="2020-01-02")
    assert titles(api_client, org.manager, "tasks/?overdue=1") == {"Helper"}
    assert titles(api_client, org.manager, "action-plans/?overdue=1") == {"Team A push"}
    assert titles(api_client, org.manager, "action-plans/?status=active") == set()
    assert titles(api_client, org.admin, "strategies/?kind=customer_satisfaction", "name") == {
        world["strategy"].name,
        "South",
    }


@pytest.mark.parametrize(
    ("who", "code"),
    [("manager", 201), ("admin", 201), ("executive", 403), ("rep", 403), ("manager_south", 400)],
)
def test_who_creates_plans_and_tasks(org: Org, api_client, world, who: str, code: int) -> None:
    api_client.force_authenticate(getattr(org, who))
    body = {
        "title": "Autumn push",
        "org_unit": org.team_a.pk,
        "owner": getattr(org, who).pk,
        "target_plan": None,
        "strategy": world["strategy"].pk,
        "start_date": "2026-09-01",
        "end_date": "2026-10-31",
    }
    response = api_client.post(f"{API}/action-plans/", body, format="json")
    assert response.status_code == code, response.content
    if code == 400:
        assert set(response.json()) >= {"org_unit"}
    task = {
        "plan": world["team_a"].pk,
        "title": "New task",
        "owner": org.rep.pk,
        "start_date": "2026-03-02",
        "due_date": "2026-03-09",
        "budget": 12_000,
        "hours": "3.5",
        "materials": "Brochures",
        "depends_on": [world["first"].pk],
    }
    response = api_client.post(f"{API}/tasks/", task, format="json")
    expected = {201: 201, 403: 403, 400: 403}[code]  # another region's plan: out of scope
    assert response.status_code == expected, response.content
    if expected == 201:
        data = response.json()
        assert (data["budget"], data["hours"], data["status"]) == (12_000, "3.5", "blocked")


def test_rep_moves_own_task_only(org: Org, api_client, world) -> None:
    api_client.force_authenticate(org.rep)
    url = f"{API}/tasks/{world['first'].pk}/"
    response = api_client.patch(url, {"status": "in_progress", "progress": 40}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["progress"]) == ("in_progress", 40)
    assert api_client.patch(url, {"title": "Renamed"}, format="json").status_code == 403
    assert api_client.patch(url, {"status": "cancelled"}, format="json").status_code == 403
    other = f"{API}/tasks/{world['other'].pk}/"
    assert api_client.patch(other, {"progress": 10}, format="json").status_code == 403
    response = api_client.post(f"{API}/tasks/{world['second'].pk}/status/", {"status": "done"})
    assert response.status_code == 400
    assert "Prepare" in response.json()["status"][0]
    response = api_client.post(f"{API}/tasks/{world['first'].pk}/status/", {"status": "done"})
    assert response.json()["progress"] == 100
    assert api_client.get(f"{API}/tasks/{world['second'].pk}/").json()["status"] == "todo"
    plan = api_client.get(f"{API}/action-plans/{world['team_a'].pk}/").json()
    assert plan["progress"] == 33  # (100 + 0 + 0) / 3
    response = api_client.post(
        f"{API}/action-plans/{world['team_a'].pk}/status/", {"status": "active"}
    )
    assert response.status_code == 403


def test_structured_400s(org: Org, api_client, world) -> None:
    api_client.force_authenticate(org.manager)
    url = f"{API}/tasks/{world['first'].pk}/"
    response = api_client.patch(url, {"depends_on": [world["second"].pk]}, format="json")
    assert response.status_code == 400
    assert "cycle" in response.json()["depends_on"][0]
    response = api_client.patch(url, {"due_date": "2026-01-01"}, format="json")
    assert response.status_code == 400
    assert "due_date" in response.json()
    response = api_client.patch(url, {"progress": 101}, format="json")
    assert response.status_code == 400
    assert "progress" in response.json()
    response = api_client.post(
        f"{API}/strategies/",
        {"name": "", "kind": "bogus", "goal": "x", "owner": org.rep.pk, "org_unit": org.south.pk},
        format="json",
    )
    assert response.status_code == 400
    assert {"name", "kind"} <= set(response.json())
    response = api_client.post(
        f"{API}/strategies/",
        {
            "name": "Channel partners",
            "kind": "channel_optimisation",
            "goal": "Two new distributors in the north.",
            "owner": org.rep.pk,
            "org_unit": org.south.pk,
            "start_date": "2026-04-01",
            "end_date": "2026-03-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"org_unit", "end_date"}
    plan_url = f"{API}/action-plans/{world['team_a'].pk}/status/"
    response = api_client.post(plan_url, {"status": "done"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_strategy_update_and_status(org: Org, api_client, world) -> None:
    api_client.force_authenticate(org.manager)
    url = f"{API}/strategies/{world['strategy'].pk}/"
    response = api_client.patch(url, {"budget": 900_000, "expected_contribution": 50_000_00})
    assert response.status_code == 200, response.content
    assert (response.json()["budget"], response.json()["name"]) == (900_000, world["strategy"].name)
    response = api_client.post(f"{url}status/", {"status": "active"})
    assert response.json()["status"] == "active"
    api_client.force_authenticate(org.executive)
    assert api_client.patch(url, {"budget": 1}).status_code == 403
    assert api_client.post(f"{url}status/", {"status": "done"}).status_code == 403


def test_exports_are_scoped(org: Org, api_client, world) -> None:
    api_client.force_authenticate(org.rep_c)
    response = api_client.get(f"{API}/tasks/?format=csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["title"] for r in rows] == ["South call"]
    api_client.force_authenticate(org.manager)
    response = api_client.get(f"{API}/action-plans/?format=xlsx")
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    response = api_client.get(f"{API}/strategies/?format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == [world["strategy"].name]


def test_list_queries_are_bounded(
    org: Org, api_client, world, django_assert_max_num_queries
) -> None:
    for i in range(10):
        make_task(world["team_a"], org.manager, org.rep, title=f"Extra {i}")
    api_client.force_authenticate(org.manager)
    with django_assert_max_num_queries(12):
        assert api_client.get(f"{API}/tasks/").status_code == 200
    with django_assert_max_num_queries(12):
        assert api_client.get(f"{API}/action-plans/").status_code == 200
