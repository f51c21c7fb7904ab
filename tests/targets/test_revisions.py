"""Revisions: frozen past periods, reset to actuals, exact diffs, approval and publishing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpis.models import KpiValue
from salesgoals.models import Metric, Period, PeriodKind
from targets import selectors, services
from targets.models import TargetPlan, TargetRevision
from tests.targets.plan_fixtures import TODAY, make_plan, org_fixture, period  # noqa: F401

pytestmark = pytest.mark.django_db

EFFECTIVE = datetime.date(2026, 4, 1)


def approved_plan(org) -> TargetPlan:
    plan = make_plan(org)
    services.plan_submit(plan=plan, actor=org.executive)
    services.plan_approve(plan=plan, actor=org.admin, today=TODAY)
    plan.refresh_from_db()
    return plan


def snapshot(plan: TargetPlan) -> dict[tuple[str, int, int], int]:
    return {
        (line.owner_type, line.owner_id, int(p)): int(v)
        for line in plan.lines.all()
        for p, v in line.values.items()
    }


def test_keep_past_freezes_ended_periods_and_diff_is_exact(org):
    plan = approved_plan(org)
    before = snapshot(plan)
    revision = services.revision_propose(
        plan=plan,
        actor=org.executive,
        effective_date=EFFECTIVE,
        reason="Competitor price cut in the South.",
        mode=TargetRevision.Mode.KEEP_PAST,
        new_value=11_000_000_00,
    )
    assert snapshot(plan) == before  # a proposal changes nothing
    with pytest.raises(PermissionDenied):  # not by its own author
        services.revision_approve(revision=revision, actor=org.executive)
    services.revision_approve(revision=revision, actor=org.admin)
    plan.refresh_from_db()
    after = snapshot(plan)
    assert plan.version == 2
    assert plan.value == 11_000_000_00
    assert services.verify_plan(plan) == []
    ended = {p.pk for p in Period.objects.filter(fiscal_year=plan.fiscal_year, end__lt=EFFECTIVE)}
    assert ended  # Q1, its months and weeks
    for key, value in before.items():
        if key[2] in ended:
            assert after[key] == value
    revision.refresh_from_db()
    changed = {(t, o, p): (b, a) for t, o, p, b, a in revision.diff}
    expected = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
    assert changed == expected
    assert selectors.original_values(plan)  # the history page can show the first version


def test_reset_to_actuals_sets_past_cells_to_actuals(org):
    plan = approved_plan(org)
    revenue = Metric.objects.get(code="revenue")
    weeks = list(
        Period.objects.filter(fiscal_year=plan.fiscal_year, kind=PeriodKind.WEEK, end__lt=EFFECTIVE)
    )
    actual = {org.rep.pk: 0, org.rep_b.pk: 0}
    for i, week in enumerate(weeks):
        for rep_id, amount in ((org.rep.pk, 1000_00 + i), (org.rep_b.pk, 500_00)):
            KpiValue.objects.create(
                metric=revenue, owner_type="rep", owner_id=rep_id, period=week, actual=amount
            )
            actual[rep_id] += amount
    revision = services.revision_propose(
        plan=plan,
        actor=org.executive,
        effective_date=EFFECTIVE,
        reason="Reset the first quarter to what was sold.",
        mode=TargetRevision.Mode.RESET_TO_ACTUALS,
        new_value=12_000_000_00,
    )
    services.revision_approve(revision=revision, actor=org.admin)
    plan.refresh_from_db()
    assert services.verify_plan(plan) == []
    lines = {line.key: line for line in plan.lines.all()}
    q1 = period(PeriodKind.QUARTER, 1)
    assert lines[("rep", org.rep.pk)].value_of(q1.pk) == actual[org.rep.pk]
    assert lines[("rep", org.rep_b.pk)].value_of(q1.pk) == actual[org.rep_b.pk]
    assert lines[("rep", org.rep_c.pk)].value_of(q1.pk) == 0
    assert lines[("unit", org.company.pk)].value_of(q1.pk) == sum(actual.values())
    year = period(PeriodKind.YEAR, 1)
    assert lines[("unit", org.company.pk)].value_of(year.pk) == 12_000_000_00


def test_revision_rules(org):
    plan = make_plan(org)
    with pytest.raises(ValidationError):  # drafts are edited, not revised
        services.revision_propose(
            plan=plan, actor=org.executive, effective_date=EFFECTIVE, reason="x", new_value=1
        )
    plan = approved_plan(org) if False else plan
    services.plan_submit(plan=plan, actor=org.executive)
    services.plan_approve(plan=plan, actor=org.admin, today=TODAY)
    with pytest.raises(ValidationError) as error:
        services.revision_propose(
            plan=plan, actor=org.executive, effective_date=EFFECTIVE, reason=" ", new_value=1
        )
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.revision_propose(
            plan=plan,
            actor=org.executive,
            effective_date=datetime.date(2027, 6, 1),
            reason="Later",
            new_value=1,
        )
    assert "effective_date" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.revision_propose(
            plan=plan, actor=org.rep, effective_date=EFFECTIVE, reason="More", new_value=1
        )
    with pytest.raises(ValidationError):  # less than what the frozen quarter already holds
        services.revision_propose(
            plan=plan, actor=org.executive, effective_date=EFFECTIVE, reason="Cut", new_value=1
        )
    revision = services.revision_propose(
        plan=plan,
        actor=org.executive,
        effective_date=EFFECTIVE,
        reason="Cut",
        new_value=11_500_000_00,
    )
    services.revision_reject(revision=revision, actor=org.admin, note="Not now")
    revision.refresh_from_db()
    assert revision.status == TargetRevision.Status.REJECTED
    with pytest.raises(ValidationError):
        services.revision_approve(revision=revision, actor=org.admin)


def test_a_manager_inside_an_outer_plan_proposes_only_for_their_own_subtree(org):
    from targets import rules

    plan = make_plan(org)  # the company's
    assert not rules.can_manage(org.manager, plan)
    assert rules.can_propose_revision(org.manager, plan, org.team_a)
    assert rules.can_propose_revision(org.manager, plan, org.north)
    assert not rules.can_propose_revision(org.manager, plan, org.team_c)
    assert not rules.can_propose_revision(org.manager, plan, org.company)
    assert not rules.can_propose_revision(org.manager, plan)  # a whole-plan revision
    assert not rules.can_propose_revision(org.rep, plan, org.team_a)


def test_only_the_revisions_author_is_kept_from_approving_it(org):
    from types import SimpleNamespace

    from targets import rules

    plan = make_plan(org)
    services.plan_submit(plan=plan, actor=org.executive)
    by_manager = SimpleNamespace(author_id=org.manager.pk)
    by_executive = SimpleNamespace(author_id=org.executive.pk)
    # The executive who submitted the plan decides a revision someone else wrote.
    assert rules.can_decide_revision(org.executive, plan, by_manager)
    # An author may withdraw (reject) their own proposal but not approve it.
    assert not rules.can_decide_revision(org.executive, plan, by_executive)
    assert rules.can_decide_revision(org.executive, plan, by_executive, approve=False)
    assert not rules.can_decide_revision(org.manager, plan, by_executive)  # not above it
    assert rules.can_decide_revision(org.admin, plan, by_executive)
