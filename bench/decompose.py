"""Target plan decomposition through the services and the API: prints JSON.

Builds, in a throwaway test database, a 6-level org (company → regions → areas → districts →
branches → teams; about 1,000 units) with --reps reps in the teams (--hires of them join during
the year, so their early weeks must stay empty) and one fiscal year. Then:
- `plan_create` of one company revenue target (SMART check + the first split), timed once;
- the full decomposition `plan_decompose(force=True)` over every unit, rep and period (median of
  --runs; cells = lines × periods) — aim: under 2 s;
- an inline edit with rebalancing (`plan_cells_update` of one rep's month);
- `verify_plan` (every invariant on the stored cells);
- a manager reading their subtree's month cells through the API
  (`GET /api/v1/target-plans/{id}/cells/?owner=unit:<id>&period_kind=month&page_size=500`,
  logged in, median of --reads) for a region and for a team manager — aim: median under 100 ms.
Query counts come from `CaptureQueriesContext`. With --profile (or when an aim is missed) the
JSON carries the top functions of a cProfile run of what missed, by cumulative time.

Usage:
    DATABASE_URL=postgres://salesgoals:salesgoals@127.0.0.1:5432/salesgoals \\
        .venv/bin/python bench/decompose.py            # its own test_salesgoals_bench_<pid> DB
    .venv/bin/python bench/decompose.py --reps 500     # SQLite, smaller
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import itertools
import json
import pstats
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from _setup import test_database
from django.db import connection
from django.test.utils import CaptureQueriesContext

YEAR = 2026
DECOMPOSE_AIM_MS = 2000.0
READ_AIM_MS = 100.0


def timed(fn: Callable[[], Any], runs: int) -> dict[str, Any]:
    """Median / min / max wall time in ms over `runs` calls; queries of the first call."""
    timings, cpu = [], []
    queries = None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            timings.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        if queries is None:
            queries = len(captured)
    return {
        "median_ms": round(statistics.median(timings), 1),
        "median_python_cpu_ms": round(statistics.median(cpu), 1),
        "min_ms": round(min(timings), 1),
        "max_ms": round(max(timings), 1),
        "runs": runs,
        "queries": queries,
    }


PHASES = (
    "plan_lines",
    "owner_specs",
    "_sync_lines",
    "_validate_changes",
    "plan_inputs",
    "_solve",
    "cells_diff",
    "_store",
    "event_record",
    "verify",
)


def phases(fn: Callable[[], Any]) -> dict[str, float]:
    """Wall ms of one call split by the steps of `targets.services.allocation` (the rest is
    the plan lock, bulk_update of locks and the like); no profiler overhead."""
    from targets.services import allocation

    spent: dict[str, float] = {}
    originals = {name: getattr(allocation, name) for name in PHASES if hasattr(allocation, name)}

    def wrap(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + (time.perf_counter() - start) * 1000

        return wrapper

    for name, original in originals.items():
        setattr(allocation, name, wrap(name, original))
    start = time.perf_counter()
    try:
        fn()
    finally:
        total = (time.perf_counter() - start) * 1000
        for name, original in originals.items():
            setattr(allocation, name, original)
    out = {name: round(ms, 1) for name, ms in spent.items()}
    out["other"] = round(total - sum(spent.values()), 1)
    out["total"] = round(total, 1)
    return out


def profile(fn: Callable[[], Any], top: int = 25) -> list[dict[str, Any]]:
    """The `top` functions of one call by cumulative time (ms), with their own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (filename, line, name), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():
        where = filename.split("/site-packages/")[-1].split("/work/main/")[-1]
        rows.append(
            {
                "function": f"{where}:{line}({name})",
                "calls": calls,
                "own_ms": round(tottime * 1000, 1),
                "cumulative_ms": round(cumtime * 1000, 1),
            }
        )
    rows.sort(key=lambda r: -r["cumulative_ms"])
    return rows[:top]


def build_org(reps: int, hires: float, seed: int = 11) -> dict[str, Any]:
    """Company → 4 regions → 4 areas → 4 districts → 3 branches → 4 teams (1,045 units)."""
    from salesgoals import services
    from salesgoals.models import OrgUnit, Role, User

    rng = random.Random(seed)
    company = services.org_unit_create(name="Company", parent=None, kind="company")
    fanout = [("region", 4), ("team", 4), ("team", 4), ("team", 3), ("team", 4)]
    labels = ["Region", "Area", "District", "Branch", "Team"]
    level, units = [company], 1
    for depth, ((kind, n), label) in enumerate(zip(fanout, labels, strict=True)):
        nxt = []
        for parent in level:
            for i in range(n):
                nxt.append(
                    services.org_unit_create(
                        name=f"{label} {parent.pk}-{i}", parent=parent, kind=kind
                    )
                )
        units += len(nxt)
        level = nxt
        if depth == 0:
            regions = nxt
    teams = level
    year_start = datetime.date(YEAR, 1, 1)
    users = []
    for i in range(reps):
        hire = datetime.date(YEAR - 3, 1, 1)
        if rng.random() < hires:
            hire = year_start + datetime.timedelta(days=rng.randint(20, 330))
        users.append(
            User(
                username=f"rep{i:05d}",
                display_name=f"Rep {i:05d}",
                role=Role.REP,
                org_unit=teams[i % len(teams)],
                hire_date=hire,
            )
        )
    User.objects.bulk_create(users, batch_size=2000)
    executive = services.user_create(username="executive", role=Role.EXECUTIVE, org_unit=company)
    region = regions[0]
    region_manager = services.user_create(
        username="region-manager", role=Role.MANAGER, org_unit=region
    )
    services.org_unit_set_manager(unit=region, manager=region_manager)
    team = teams[0]
    team_manager = services.user_create(username="team-manager", role=Role.MANAGER, org_unit=team)
    services.org_unit_set_manager(unit=team, manager=team_manager)
    return {
        "units": units,
        "unit_levels": OrgUnit.objects.order_by("-depth").values_list("depth", flat=True)[0],
        "reps": reps,
        "reps_hired_during_year": sum(1 for u in users if u.hire_date >= year_start),
        "executive": executive,
        "company": company,
        "region": region,
        "region_manager": region_manager,
        "team": team,
        "team_manager": team_manager,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5000)
    parser.add_argument("--hires", type=float, default=0.05, help="share hired mid-year")
    parser.add_argument("--runs", type=int, default=3, help="decompositions to time")
    parser.add_argument("--reads", type=int, default=20, help="API reads to time")
    parser.add_argument("--profile", action="store_true", help="always profile")
    args = parser.parse_args()

    with test_database():
        from django.test import Client

        from salesgoals.models import Metric, Period, PeriodKind
        from salesgoals.services import fiscal_year_generate
        from targets import services
        from targets.models import TargetLine
        from targets.smart import PlanDraft

        started = time.perf_counter()
        org = build_org(args.reps, args.hires)
        fiscal_year = fiscal_year_generate(year=YEAR)
        setup_s = time.perf_counter() - started
        executive = org.pop("executive")
        today = datetime.date(YEAR, 1, 5)
        draft = PlanDraft(
            metric=Metric.objects.get(code="revenue"),
            fiscal_year=fiscal_year,
            org_unit=org["company"],
            value=5_000_000_000_00,  # ¥5bn in minor units
            description="Company revenue for the year, split to every rep and week.",
            objective="Benchmark",
            period_method="working_days",
            owner_method="headcount",  # pro-rated by the employed working days
            warnings_reason="No history in the benchmark database.",
        )
        plan_holder: dict[str, Any] = {}

        def create() -> None:
            plan_holder["plan"] = services.plan_create(actor=executive, draft=draft, today=today)

        create_timing = timed(create, 1)
        plan = plan_holder["plan"]
        lines = TargetLine.objects.filter(plan=plan).count()
        periods = Period.objects.filter(fiscal_year=fiscal_year)
        n_periods = periods.count()
        by_kind = {k: periods.filter(kind=k).count() for k in PeriodKind.values}

        def decompose() -> None:
            services.plan_decompose(plan=plan, actor=executive, force=True)

        decompose_timing = timed(decompose, args.runs)
        decompose_timing["phases_ms"] = phases(decompose)

        # An inline edit: one rep's month, its siblings rebalance (the team's month is kept).
        rep_lines = list(
            TargetLine.objects.filter(plan=plan, owner_type="rep", hire_date__lt=today)
            .order_by("position")
            .only("owner_type", "owner_id", "parent_id", "values")
        )
        siblings: dict[int, int] = {}
        for line in rep_lines:
            siblings[line.parent_id] = siblings.get(line.parent_id, 0) + 1
        most = max(siblings.values())
        rep_line = next(line for line in rep_lines if siblings[line.parent_id] >= min(3, most))
        month = periods.filter(kind=PeriodKind.MONTH).order_by("start")[2]
        base = rep_line.value_of(month.pk)
        factors = itertools.cycle([0.9, 1.1, 0.95, 1.05, 0.85, 1.15, 0.92, 1.08])

        def edit() -> None:
            services.plan_cells_update(
                plan=plan,
                actor=executive,
                changes=[
                    services.CellChange(
                        owner=rep_line.key, period_id=month.pk, value=int(base * next(factors))
                    )
                ],
            )

        edit_timing = timed(edit, args.runs)
        edit_timing["phases_ms"] = phases(edit)
        verify_problems: list[str] = []

        def verify() -> None:
            verify_problems[:] = services.verify_plan(plan)

        verify_timing = timed(verify, args.runs)
        verify_timing["phases_ms"] = phases(verify)

        reads = {}
        read_fns = {}
        for who in ("region", "team"):
            unit, manager = org[who], org[f"{who}_manager"]
            client = Client()
            client.force_login(manager)
            url = (
                f"/api/v1/target-plans/{plan.pk}/cells/"
                f"?owner=unit:{unit.pk}&period_kind=month&page_size=500"
            )

            def read(client: Client = client, url: str = url) -> dict[str, Any]:
                response = client.get(url)
                assert response.status_code == 200, response.content[:300]
                return response.json()

            body = read()  # warm: sessions, URL resolver, serializer caches
            subtree_lines = TargetLine.objects.filter(
                plan=plan, unit_path__startswith=unit.path
            ).count()
            reads[who] = {
                "subtree_lines": subtree_lines,
                "rows_total": body["count"],
                "rows_returned": len(body["results"]),
                **timed(read, args.reads),
            }
            read_fns[who] = read

        decompose_ok = decompose_timing["median_ms"] < DECOMPOSE_AIM_MS
        read_ok = all(r["median_ms"] < READ_AIM_MS for r in reads.values())
        result: dict[str, Any] = {
            "benchmark": "decompose",
            "database": connection.vendor,
            "sizes": {
                **{k: v for k, v in org.items() if isinstance(v, int)},
                "lines": lines,
                "periods": n_periods,
                "periods_by_kind": by_kind,
                "cells": lines * n_periods,
                "setup_s": round(setup_s, 1),
            },
            "plan_create": create_timing,
            "decompose_full": decompose_timing,
            "inline_edit_rebalance": edit_timing,
            "verify_plan": {**verify_timing, "problems": len(verify_problems)},
            "api_subtree_cells_read": reads,
            "aims": {
                "decompose_under_2s": decompose_ok,
                "subtree_read_median_under_100ms": read_ok,
            },
        }
        if args.profile or not decompose_ok:
            result["profile_decompose"] = profile(decompose)
            result["profile_inline_edit"] = profile(edit)
        if args.profile or not read_ok:
            result["profile_read_region"] = profile(read_fns["region"])
        print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
