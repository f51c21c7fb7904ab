"""Excel: the grid exports, imports back unchanged, applies edits, and rejects bad files whole."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from salesgoals.models import PeriodKind
from targets import excel, services
from tests.targets.plan_fixtures import make_plan, org_fixture, period  # noqa: F401

pytestmark = pytest.mark.django_db


def snapshot(plan):
    return {line.key: dict(line.values) for line in plan.lines.all()}


def upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("grid.xlsx", data, content_type=excel.XLSX)


def test_round_trip_reproduces_the_grid(org):
    plan = make_plan(org)
    before = snapshot(plan)
    data = excel.grid_workbook(plan=plan, user=org.executive)
    report = excel.grid_import(plan=plan, user=org.executive, upload=upload(data))
    assert report == {"changed": [], "rebalanced_cells": 0}
    assert snapshot(plan) == before


def test_edited_cell_is_applied_and_siblings_rebalance(org):
    plan = make_plan(org)
    data = excel.grid_workbook(plan=plan, user=org.manager)
    book = load_workbook(io.BytesIO(data))
    sheet = book["Targets"]
    periods = [p for p in book["meta"]["3"][1:] if p.value is not None]
    march = period(PeriodKind.MONTH, 3)
    column = 4 + [p.value for p in periods].index(march.pk)
    row = next(
        r
        for r in range(2, sheet.max_row + 1)
        if (sheet.cell(r, 1).value, sheet.cell(r, 2).value) == ("rep", org.rep.pk)
    )
    sheet.cell(row, column).value = 123456.78
    out = io.BytesIO()
    book.save(out)
    report = excel.grid_import(plan=plan, user=org.manager, upload=upload(out.getvalue()))
    assert [c["after"] for c in report["changed"]] == ["123456.78"]
    assert report["rebalanced_cells"] > 0
    line = plan.lines.get(owner_type="rep", owner_id=org.rep.pk)
    assert line.value_of(march.pk) == 12345678
    assert services.verify_plan(plan) == []


@pytest.mark.parametrize(
    "corrupt",
    ["not a workbook", "text in a cell", "unknown owner", "other plan"],
)
def test_corrupt_file_changes_nothing_and_says_why(org, corrupt):
    plan = make_plan(org)
    before = snapshot(plan)
    if corrupt == "not a workbook":
        data = b"PK\x03\x04 broken"
    else:
        book = load_workbook(io.BytesIO(excel.grid_workbook(plan=plan, user=org.executive)))
        sheet = book["Targets"]
        if corrupt == "text in a cell":
            sheet.cell(2, 4).value = "lots"
            sheet.cell(3, 5).value = 1  # a valid edit elsewhere must not be applied either
        elif corrupt == "unknown owner":
            sheet.cell(3, 2).value = 999999
        else:
            book["meta"]["B1"].value = plan.pk + 1000
        out = io.BytesIO()
        book.save(out)
        data = out.getvalue()
    with pytest.raises(ValidationError) as error:
        excel.grid_import(plan=plan, user=org.executive, upload=upload(data))
    assert error.value.message_dict["file"]
    assert snapshot(plan) == before


def test_control_characters_in_a_name_are_dropped_from_the_workbook(org):
    plan = make_plan(org)
    line = plan.lines.order_by("position").first()
    type(line).objects.filter(pk=line.pk).update(name="Bell\x07 North\x1b")
    book = load_workbook(io.BytesIO(excel.grid_workbook(plan=plan, user=org.executive)))
    assert book["Targets"].cell(2, 3).value.strip() == "Bell North"
