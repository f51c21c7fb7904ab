"""The grid as an Excel workbook, and importing an edited one back (all or nothing).

Sheet "Targets": one row per owner in the user's scope, one column per period (year, quarters,
months, weeks), values in the metric's unit (money in base currency units with cents, rates in
percent); locked cells are shaded. A hidden sheet "meta" records the plan, its version and the
period id of every column, so an import knows exactly what each cell is. Import compares every
cell with the plan: changed cells are set (and locked) through the same service as an inline
edit, so the unlocked rest rebalances and the invariants hold. Any problem — another plan or
version, unknown rows, text where a number belongs — rejects the whole file with the reasons.
"""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from salesgoals.exports import neutralise, xlsx_safe
from salesgoals.models import User
from salesgoals.selectors import period_tree
from targets import rules
from targets.models import TargetPlan
from targets.services.allocation import CellChange, plan_cells_update
from targets.units import from_stored, to_stored

__all__ = ["XLSX", "grid_import", "grid_workbook", "xlsx_response"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_VALUE_COLUMN = 4  # owner type, owner id, owner; values from column D
LOCKED_FILL = PatternFill("solid", fgColor="DDDDDD")
MAX_ERRORS = 20


def grid_workbook(*, plan: TargetPlan, user: User) -> bytes:
    periods = period_tree(plan.fiscal_year)
    lines = list(plan.lines.filter(rules.lines_visible_q(user)).order_by("position"))
    book = Workbook()
    sheet = book.active
    sheet.title = "Targets"
    header = [_("Owner type"), _("Owner id"), _("Owner")] + [p.label for p in periods]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in lines:
        row = [line.owner_type, line.owner_id, "  " * line.depth + xlsx_safe(neutralise(line.name))]
        row += [float(from_stored(plan.metric, line.value_of(p.pk))) for p in periods]
        sheet.append(row)
        for index, period in enumerate(periods):
            if line.is_locked(period.pk):
                sheet.cell(sheet.max_row, FIRST_VALUE_COLUMN + index).fill = LOCKED_FILL
    sheet.freeze_panes = "D2"
    sheet.column_dimensions["C"].width = 32
    for index in range(len(periods)):
        sheet.column_dimensions[get_column_letter(FIRST_VALUE_COLUMN + index)].width = 14
    meta = book.create_sheet("meta")
    meta.append(["plan", plan.pk])
    meta.append(["version", plan.version])
    meta.append(["periods", *[p.pk for p in periods]])
    meta.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(*, plan: TargetPlan, user: User) -> HttpResponse:
    name = slugify(f"targets-{plan.metric.code}-{plan.fiscal_year.year}-{plan.pk}") or "targets"
    response = HttpResponse(grid_workbook(plan=plan, user=user), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def _fail(messages: list[str]) -> ValidationError:
    return ValidationError({"file": messages[:MAX_ERRORS]}, code="import_rejected")


def _read(upload: Any) -> tuple[Any, Any]:
    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise _fail([_("This is not an Excel workbook (.xlsx) that can be read.")]) from error
    if "Targets" not in book.sheetnames or "meta" not in book.sheetnames:
        raise _fail([_("The workbook has no “Targets” and “meta” sheets; export the grid first.")])
    return book["Targets"], book["meta"]


def grid_import(*, plan: TargetPlan, user: User, upload: Any) -> dict[str, Any]:
    """Apply an edited grid workbook; returns {"changed": [...], "rebalanced_cells": n}."""
    sheet, meta = _read(upload)
    meta_rows = {row[0]: row[1:] for row in meta.iter_rows(values_only=True) if row and row[0]}
    if list(meta_rows.get("plan", [None]))[:1] != [plan.pk]:
        raise _fail([_("This workbook belongs to another plan.")])
    if list(meta_rows.get("version", [None]))[:1] != [plan.version]:
        raise _fail([_("The plan has changed since this workbook was exported; export it again.")])
    period_ids = [p for p in meta_rows.get("periods", ()) if p is not None]
    valid_periods = {p.pk: p for p in period_tree(plan.fiscal_year)}
    if not period_ids or any(p not in valid_periods for p in period_ids):
        raise _fail([_("The workbook's columns do not match this plan's periods.")])
    lines = {line.key: line for line in plan.lines.filter(rules.lines_visible_q(user))}
    errors: list[str] = []
    changes: list[CellChange] = []
    report: list[dict[str, Any]] = []
    rows = sheet.iter_rows(min_row=2, values_only=True)
    for number, row in enumerate(rows, start=2):
        if not row or all(v is None for v in row):
            continue
        key = (str(row[0] or ""), row[1])
        line = lines.get(key) if isinstance(row[1], int) else None
        if line is None:
            errors.append(_("Row %(row)s: unknown owner.") % {"row": number})
            continue
        values = list(row[FIRST_VALUE_COLUMN - 1 :])
        if len(values) < len(period_ids):
            errors.append(_("Row %(row)s: missing columns.") % {"row": number})
            continue
        for period_id, raw in zip(period_ids, values, strict=False):
            try:
                value = to_stored(plan.metric, Decimal(str(raw)) if raw is not None else "x")
            except (ValueError, InvalidOperation):
                column = get_column_letter(FIRST_VALUE_COLUMN + period_ids.index(period_id))
                errors.append(
                    _("Cell %(cell)s: “%(value)s” is not a valid value.")
                    % {"cell": f"{column}{number}", "value": "" if raw is None else raw}
                )
                continue
            old = line.value_of(period_id)
            if value != old:
                changes.append(CellChange(owner=line.key, period_id=period_id, value=value))
                report.append(
                    {
                        "owner": line.name,
                        "period": valid_periods[period_id].label,
                        "before": str(from_stored(plan.metric, old)),
                        "after": str(from_stored(plan.metric, value)),
                    }
                )
    if errors:
        raise _fail(errors)
    if not changes:
        return {"changed": [], "rebalanced_cells": 0}
    result = plan_cells_update(plan=plan, actor=user, changes=changes, source="import")
    return {"changed": report, "rebalanced_cells": int(result["changed_cells"]) - len(changes)}
