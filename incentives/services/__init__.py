"""Writes of the incentives app: plans (`plans`), statements (`statements`), the what-if
(`what_if`),
badges and contests (`recognition`). Each write is one transaction; bad input raises
`ValidationError` with a field dict, acting outside one's scope `PermissionDenied`."""

from .plans import plan_check, plan_create, plan_update
from .recognition import badge_award, contest_close, contest_create
from .statements import (
    close_periods,
    inputs_for,
    statement_approve,
    statement_compute,
    statement_mark_paid,
    statements_compute,
)
from .what_if import WhatIf, current_period, what_if

__all__ = [
    "WhatIf",
    "badge_award",
    "close_periods",
    "contest_close",
    "contest_create",
    "current_period",
    "inputs_for",
    "plan_check",
    "plan_create",
    "plan_update",
    "statement_approve",
    "statement_compute",
    "statement_mark_paid",
    "statements_compute",
    "what_if",
]
