"""Every write of `targets` goes through these functions (keyword-only, typed, transactional)."""

from .allocation import (
    CellChange,
    OwnerChange,
    plan_cells_update,
    plan_decompose,
    plan_lines,
    plan_owners_update,
    verify_plan,
)
from .plans import (
    plan_acknowledge,
    plan_activate,
    plan_approve,
    plan_close,
    plan_create,
    plan_return,
    plan_submit,
    plan_update,
    plans_activate_due,
    plans_verify,
    smart_check,
)
from .publishing import plan_publish
from .revisions import RevisionCell, revision_approve, revision_propose, revision_reject

__all__ = [
    "CellChange",
    "OwnerChange",
    "RevisionCell",
    "plan_acknowledge",
    "plan_activate",
    "plan_approve",
    "plan_cells_update",
    "plan_close",
    "plan_create",
    "plan_decompose",
    "plan_lines",
    "plan_owners_update",
    "plan_publish",
    "plan_return",
    "plan_submit",
    "plan_update",
    "plans_activate_due",
    "plans_verify",
    "revision_approve",
    "revision_propose",
    "revision_reject",
    "smart_check",
    "verify_plan",
]
