"""Scope and subtree lookups on a large org tree: prints JSON (sizes, timings, query counts).

Usage: python bench/org_scope.py [--reps 5000]
"""

from __future__ import annotations

import argparse
import json

from _setup import measure, test_database


def build(reps: int) -> dict:
    from salesgoals import services
    from salesgoals.models import OrgUnit, Role, User

    company = services.org_unit_create(name="Company", parent=None, kind="company")
    units = [company]
    # 6 levels: company → 4 areas → 4 regions → 4 districts → 4 branches → teams
    level = [company]
    for depth in range(4):
        nxt = []
        for parent in level:
            for i in range(4):
                nxt.append(
                    services.org_unit_create(name=f"L{depth}-{parent.pk}-{i}", parent=parent)
                )
        units += nxt
        level = nxt
    teams = []
    for parent in level:
        teams.append(services.org_unit_create(name=f"Team-{parent.pk}", parent=parent))
    units += teams
    per_team = max(1, reps // len(teams))
    User.objects.bulk_create(
        [
            User(username=f"rep{t.pk}-{i}", role=Role.REP, org_unit=t)
            for t in teams
            for i in range(per_team)
        ],
        batch_size=2000,
    )
    area = OrgUnit.objects.filter(depth=2).first()
    manager = services.user_create(username="area-manager", role=Role.MANAGER, org_unit=area)
    services.org_unit_set_manager(unit=area, manager=manager)
    return {
        "units": len(units),
        "reps": User.objects.filter(role=Role.REP).count(),
        "depth": OrgUnit.objects.order_by("-depth").first().depth,
        "manager": manager,
        "area": area,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5000)
    args = parser.parse_args()
    with test_database():
        from salesgoals import scope

        info = build(args.reps)
        area, manager = info.pop("area"), info.pop("manager")
        result = {
            "benchmark": "org_scope",
            "sizes": info,
            "subtree_of_area": measure(lambda: list(area.subtree())),
            "visible_units_manager": measure(lambda: list(scope.visible_units(manager))),
            "visible_users_manager": measure(
                lambda: list(scope.visible_users(manager).values_list("pk", flat=True))
            ),
            "visible_users_count": scope.visible_users(manager).count(),
        }
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
