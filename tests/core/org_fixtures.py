"""The fixed organisation used by the org tests (import `org_fixture`, request `org`).

Acme (company; admin, executive)
├── North (region; manager M, home unit North)
│   ├── Team A (rep R)
│   └── Team B (rep RB)
└── South (region; manager MS)
    └── Team C (rep RC)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from salesgoals import services
from salesgoals.models import OrgUnit, Role, User
from tests.factories import UserFactory, company, unit


@dataclass
class Org:
    company: OrgUnit
    north: OrgUnit
    team_a: OrgUnit
    team_b: OrgUnit
    south: OrgUnit
    team_c: OrgUnit
    rep: User
    rep_b: User
    rep_c: User
    manager: User
    manager_south: User
    executive: User
    admin: User

    def actor(self, role: str) -> User:
        return {
            Role.REP: self.rep,
            Role.MANAGER: self.manager,
            Role.EXECUTIVE: self.executive,
            Role.ADMIN: self.admin,
        }[role]


def build_org() -> Org:
    acme = company()
    north = unit("North", acme, OrgUnit.Kind.REGION)
    team_a = unit("Team A", north)
    team_b = unit("Team B", north)
    south = unit("South", acme, OrgUnit.Kind.REGION)
    team_c = unit("Team C", south)
    manager = UserFactory(
        username="m", display_name="Manager North", role=Role.MANAGER, org_unit=north
    )
    manager_south = UserFactory(
        username="ms", display_name="Manager South", role=Role.MANAGER, org_unit=south
    )
    services.org_unit_set_manager(unit=north, manager=manager)
    services.org_unit_set_manager(unit=south, manager=manager_south)
    return Org(
        company=acme,
        north=north,
        team_a=team_a,
        team_b=team_b,
        south=south,
        team_c=team_c,
        rep=UserFactory(username="r", display_name="Rep A", org_unit=team_a),
        rep_b=UserFactory(username="rb", display_name="Rep B", org_unit=team_b),
        rep_c=UserFactory(username="rc", display_name="Rep C", org_unit=team_c),
        manager=manager,
        manager_south=manager_south,
        executive=UserFactory(
            username="exec", display_name="Executive", role=Role.EXECUTIVE, org_unit=acme
        ),
        admin=UserFactory(username="admin", display_name="Admin", role=Role.ADMIN, org_unit=acme),
    )


@pytest.fixture(name="org")
def org_fixture(db: None) -> Org:
    return build_org()


def user_form_data(user: User, **overrides: Any) -> dict[str, Any]:
    """What the edit form posts for this person, with some values changed."""
    data = {
        "display_name": user.display_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "org_unit": user.org_unit_id or "",
        "hire_date": user.hire_date.isoformat() if user.hire_date else "",
        "leave_date": user.leave_date.isoformat() if user.leave_date else "",
        "zoho_user_id": user.zoho_user_id,
        "fxiaoke_user_id": user.fxiaoke_user_id,
    }
    if user.is_active:
        data["is_active"] = "on"
    data.update(overrides)
    return data
