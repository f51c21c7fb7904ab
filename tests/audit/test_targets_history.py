"""Targets in the audit history: plans, lines (every bulk path), revisions, approvals."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from openpyxl import load_workbook

from salesgoals import history as audit_history
from salesgoals.models import PeriodKind
from salesgoals.services import user_move
from targets import excel, services
from targets.models import TargetLine, TargetPlan, TargetRevision
from targets.services import allocation
from targets.tasks import publish_plan_task
from tests.audit.helpers import changed, entry_of, history
from tests.targets.plan_fixtures import TODAY, make_plan, org_fixture, period  # noqa: F401

pytestmark = pytest.mark.django_db


def line_of(plan: TargetPlan, owner: tuple[str, int]) -> TargetLine:
    return TargetLine.objects.get(plan=plan, owner_type=owner[0], owner_id=owner[1])


def test_plan_create_records_the_plan_and_every_line_by_the_actor(org):
    plan = make_plan(org)
    rows = history(TargetPlan, id=plan.pk)
    assert rows[0].history_type == "+"  # then "~" when the split is stored
    assert {(h.history_user, h.history_change_reason) for h in rows} == {(org.executive, "Created")}
    lines = history(TargetLine, plan_id=plan.pk)
    assert len(lines) == plan.lines.count() > 5
    assert {(h.history_type, h.history_user_id) for h in lines} == {("+", org.executive.pk)}
    assert {h.id for h in lines} == set(plan.lines.values_list("pk", flat=True))


def test_cell_edit_records_the_changed_lines_with_their_cells(org):
    plan = make_plan(org)
    march = period(PeriodKind.MONTH, 3)
    rep_a = ("rep", org.rep.pk)
    before = line_of(plan, rep_a).value_of(march.pk)
    services.plan_cells_update(
        plan=plan,
        actor=org.manager,
        changes=[services.CellChange(owner=rep_a, period_id=march.pk, value=100_000_00)],
    )
    line = line_of(plan, rep_a)
    edits = history(TargetLine, id=line.pk, history_type="~")
    assert [(h.history_user, h.history_change_reason) for h in edits] == [
        (org.manager, "Cells edited")
    ]
    diff = changed(entry_of(edits[0]))
    assert diff[f"values[{march.pk}]"] == (f"{before}", "10000000")
    # The lock shows as the period's label added.
    assert diff["locked"] == ("", f"+{march.label}")
    # Only the lines whose cells moved (the edited rep, the sibling, never the other region).
    touched = {h.owner_id for h in history(TargetLine, plan_id=plan.pk, history_type="~")}
    assert org.rep_a2.pk in touched
    assert org.rep_c.pk not in touched


def test_resplit_keeps_each_line_its_identity(org):
    plan = make_plan(org)
    ids = dict(plan.lines.values_list("owner_id", "pk"))
    services.plan_decompose(plan=plan, actor=org.executive, owner_method="weights")
    services.plan_decompose(plan=plan, actor=org.executive, period_method="even")
    assert dict(plan.lines.values_list("owner_id", "pk")) == ids
    rows = history(TargetLine, plan_id=plan.pk, history_type="~")
    assert rows
    assert {h.history_change_reason for h in rows} == {"Re-split"}
    assert {h.history_user_id for h in rows} == {org.executive.pk}


def test_many_changed_lines_rewritten_in_one_insert_keep_ids_and_history(org, monkeypatch):
    monkeypatch.setattr(allocation, "BULK_REWRITE", 0)  # the delete + COPY/INSERT path
    monkeypatch.setattr(audit_history, "COPY_FROM", 1)  # history rows by COPY on PostgreSQL
    plan = make_plan(org)
    ids = set(plan.lines.values_list("pk", flat=True))
    result = services.plan_decompose(plan=plan, actor=org.admin, period_method="even")
    assert result["changed_lines"] > 0
    assert set(plan.lines.values_list("pk", flat=True)) == ids
    rows = history(TargetLine, plan_id=plan.pk, history_type="~")
    assert len(rows) == result["changed_lines"]
    assert {h.history_user_id for h in rows} == {org.admin.pk}
    line = rows[0]
    assert line.values == TargetLine.objects.get(pk=line.id).values  # the row as written


def test_owners_joining_and_leaving_are_created_and_deleted_lines(org):
    plan = make_plan(org, org_unit=org.north)
    gone = line_of(plan, ("rep", org.rep_b.pk))
    user_move(user=org.rep_b, org_unit=org.team_c, effective_date=TODAY)
    user_move(user=org.rep_c, org_unit=org.team_a, effective_date=TODAY)
    services.plan_decompose(plan=plan, actor=org.executive)
    (deleted,) = history(TargetLine, id=gone.pk, history_type="-")
    assert deleted.history_user == org.executive
    assert deleted.values == gone.values  # the line as it was
    new = line_of(plan, ("rep", org.rep_c.pk))
    (created,) = history(TargetLine, id=new.pk)
    assert created.history_type == "+"
    assert not TargetLine.objects.filter(pk=gone.pk).exists()
    entry = entry_of(deleted)
    assert entry.action == "-"
    assert entry.object.startswith("Rep B")


def test_owner_settings_record_the_weights_that_changed(org):
    plan = make_plan(org)
    services.plan_owners_update(
        plan=plan,
        actor=org.manager,
        changes=[services.OwnerChange(owner=("rep", org.rep.pk), weight=300)],
    )
    line = line_of(plan, ("rep", org.rep.pk))
    rows = history(TargetLine, id=line.pk, history_type="~")
    assert rows[0].history_change_reason == "Split settings changed"
    assert changed(entry_of(rows[0]))["weight"] == ("100", "300")
    assert rows[0].history_user == org.manager


def test_workflow_steps_record_who_and_why(org):
    plan = make_plan(org)
    services.plan_submit(plan=plan, actor=org.executive)
    services.plan_return(plan=plan, actor=org.admin, reason="Split Q2 by the new price list.")
    services.plan_submit(plan=plan, actor=org.executive)
    services.plan_approve(plan=plan, actor=org.admin, today=TODAY)
    rows = history(TargetPlan, id=plan.pk, history_type="~")
    steps = [(h.status, h.history_user, h.history_change_reason) for h in rows]
    assert steps[-4:] == [
        ("submitted", org.executive, "Submitted"),
        ("draft", org.admin, "Split Q2 by the new price list."),
        ("submitted", org.executive, "Submitted"),
        ("active", org.admin, "Approved"),
    ]
    diff = changed(entry_of(rows[-1]))
    assert diff["status"] == ("Submitted", "Active")
    assert diff["approved_by"] == ("", "Admin")


def test_publishing_task_and_acknowledgement(org):
    plan = make_plan(org)
    services.plan_submit(plan=plan, actor=org.executive)
    services.plan_approve(plan=plan, actor=org.admin, today=TODAY)  # publishes after commit
    publish_plan_task(plan.pk, plan.version)  # a worker: no request, no user
    last = history(TargetPlan, id=plan.pk)[-1]
    assert (last.history_user, last.history_change_reason) == (None, "Published")
    assert entry_of(last).user == ""
    services.plan_acknowledge(plan=plan, actor=org.rep)
    line = line_of(plan, ("rep", org.rep.pk))
    ack = history(TargetLine, id=line.pk)[-1]
    assert (ack.history_user, ack.history_change_reason) == (org.rep, "Acknowledged")
    assert changed(entry_of(ack))["acknowledged_version"] == ("0", "1")


def test_revision_proposal_and_approval_carry_the_revision_reason(org):
    plan = make_plan(org)
    services.plan_submit(plan=plan, actor=org.executive)
    services.plan_approve(plan=plan, actor=org.admin, today=TODAY)
    revision = services.revision_propose(
        plan=plan,
        actor=org.executive,
        effective_date=datetime.date(2026, 4, 1),
        reason="Competitor price cut in the South.",
        new_value=11_000_000_00,
    )
    services.revision_approve(revision=revision, actor=org.admin)
    rows = history(TargetRevision, id=revision.pk)
    assert [(h.history_type, h.history_user, h.status) for h in rows] == [
        ("+", org.executive, "proposed"),
        ("~", org.admin, "approved"),
    ]
    assert {h.history_change_reason for h in rows} == {"Competitor price cut in the South."}
    plan_row = history(TargetPlan, id=plan.pk)[-1]
    assert plan_row.version == 2
    assert plan_row.history_user == org.admin
    assert changed(entry_of(plan_row))["value"] == ("1200000000", "1100000000")
    lines = history(TargetLine, plan_id=plan.pk, history_type="~")
    assert lines
    assert {(h.history_user_id, h.history_change_reason) for h in lines} == {
        (org.admin.pk, "Competitor price cut in the South.")
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_written_history_reads_back_like_orm_rows(org, monkeypatch):
    monkeypatch.setattr(audit_history, "COPY_FROM", 1)
    plan = make_plan(org)
    rows = history(TargetLine, plan_id=plan.pk)
    for h in rows:
        line = TargetLine.objects.get(pk=h.id)
        assert (h.values, h.locked, h.name, h.hire_date) == (
            line.values,
            line.locked,
            line.name,
            line.hire_date,
        )
        assert h.history_user_id == org.executive.pk
        assert h.history_change_reason == "Created"


def test_excel_import_is_recorded_as_an_import_by_the_uploader(org):
    plan = make_plan(org)
    data = excel.grid_workbook(plan=plan, user=org.manager)
    book = load_workbook(io.BytesIO(data))
    sheet = book["Targets"]
    periods = [p.value for p in book["meta"]["3"][1:] if p.value is not None]
    march = period(PeriodKind.MONTH, 3)
    column = 4 + periods.index(march.pk)
    row = next(
        r
        for r in range(2, sheet.max_row + 1)
        if (sheet.cell(r, 1).value, sheet.cell(r, 2).value) == ("rep", org.rep.pk)
    )
    sheet.cell(row, column).value = 123456.78
    out = io.BytesIO()
    book.save(out)
    upload = SimpleUploadedFile("grid.xlsx", out.getvalue(), content_type=excel.XLSX)
    excel.grid_import(plan=plan, user=org.manager, upload=upload)
    line = line_of(plan, ("rep", org.rep.pk))
    row_ = history(TargetLine, id=line.pk)[-1]
    assert (row_.history_user, row_.history_change_reason) == (org.manager, "Imported from Excel")
    assert changed(entry_of(row_))[f"values[{march.pk}]"][1] == "12345678"
