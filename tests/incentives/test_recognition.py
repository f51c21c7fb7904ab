"""Contests close into winners with a badge each (once); manual badges need scope; the
recognition feed and leaderboard pages show them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from incentives import services
from incentives.models import BadgeAward, ContestWinner
from salesgoals.models import Metric
from tests.core.org_fixtures import Org, org_fixture  # noqa: F401
from tests.incentives.helpers import make_plan, quarters, set_cell

pytestmark = pytest.mark.django_db


def test_contest_close_picks_the_top_and_pays_a_spiff(org: Org) -> None:
    q1, *_ = quarters()
    for rep, actual in ((org.rep, 130), (org.rep_b, 90), (org.rep_c, 110)):
        set_cell(rep, q1, actual=actual * 10_000, target=1_000_000)
    revenue = Metric.objects.get(code="revenue")
    with pytest.raises(PermissionDenied):
        services.contest_create(actor=org.manager, name="Sprint", metric=revenue, period=q1)
    contest = services.contest_create(
        actor=org.executive, name="Q1 sprint", metric=revenue, period=q1, winners=2
    )
    winners = services.contest_close(actor=org.executive, contest=contest)
    assert [(w.rank, w.person.username, w.value) for w in winners] == [
        (1, "r", "130.00%"),
        (2, "rc", "110.00%"),
    ]
    assert services.contest_close(actor=org.executive, contest=contest) == winners  # once
    assert BadgeAward.objects.filter(source="contest").count() == 2
    assert ContestWinner.objects.count() == 2

    make_plan(org.admin, {"kind": "spiff", "event": "contest_win", "amount": "2000"})
    statement = services.statement_compute(person=org.rep, period=q1)
    assert statement.total_minor == 200_000
    assert services.statement_compute(person=org.rep_b, period=q1).total_minor == 0


def test_manual_badges_follow_scope(org: Org, client) -> None:
    with pytest.raises(PermissionDenied):
        services.badge_award(actor=org.manager, person=org.rep_c, badge="Hero")
    with pytest.raises(PermissionDenied):
        services.badge_award(actor=org.rep, person=org.rep_b, badge="Hero")
    with pytest.raises(ValidationError):
        services.badge_award(actor=org.manager, person=org.rep, badge=" ")
    client.force_login(org.manager)
    response = client.post(
        reverse("incentives:badges"),
        {"person": org.rep.pk, "badge": "Customer hero", "message": "Saved the Acme renewal"},
    )
    assert response.status_code == 302
    assert org.rep.notifications.filter(title__contains="Customer hero").count() == 1
    client.force_login(org.rep_c)
    page = client.get(reverse("incentives:home")).content.decode()
    assert "Customer hero" in page  # the recognition feed is public
    assert "Saved the Acme renewal" in page
    assert client.post(reverse("incentives:badges"), {}).status_code == 403


def test_leaderboard_page_highlights_the_top_three(org: Org, client) -> None:
    q1, *_ = quarters()
    for rep, actual in ((org.rep, 130), (org.rep_b, 90), (org.rep_c, 110)):
        set_cell(rep, q1, actual=actual * 10_000, target=1_000_000)
    client.force_login(org.rep)
    page = client.get(reverse("incentives:leaderboard") + f"?period={q1.pk}").content.decode()
    page = page.split('data-testid="leaderboard"')[1]
    assert page.count('class="rank rank-') == 3
    assert page.index("Rep A") < page.index("Rep C") < page.index("Rep B")
    team = client.get(
        reverse("incentives:leaderboard") + f"?period={q1.pk}&org_unit={org.team_b.pk}"
    ).content.decode()
    rows = team.split('data-testid="leaderboard"')[1]
    assert "Rep B" in rows
    assert "Rep A" not in rows
