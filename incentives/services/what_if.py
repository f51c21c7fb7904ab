"""The what-if: “if I close X more by the period's end, I earn Y” — the statements' own inputs
and engine, with one more deal (`incentives.engine.with_extra`)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives import selectors
from incentives.engine import Line, compute, total, with_extra
from incentives.models import IncentivePlan
from incentives.services.statements import inputs_for
from salesgoals.models import Period, User


def current_period(kind: str, today: datetime.date | None = None) -> Period | None:
    today = today or timezone.localdate()
    return Period.objects.filter(kind=kind, start__lte=today, end__gte=today).first()


@dataclass
class WhatIf:
    plan: IncentivePlan
    period: Period
    extra: Decimal
    base: list[Line]
    lines: list[Line]

    @property
    def base_total(self) -> Decimal:
        return total(self.base)

    @property
    def total(self) -> Decimal:
        return total(self.lines)

    @property
    def difference(self) -> Decimal:
        return self.total - self.base_total


def what_if(*, person: User, extra: Decimal, period: Period | None = None) -> WhatIf:
    """“If I close `extra` more by the period's end, I earn …” — the statement's own code."""
    if extra < 0:
        raise ValidationError({"amount": [_("Enter an amount of zero or more.")]})
    plan = None
    if period is not None:
        plan = selectors.plan_for(person, period.kind)
    else:
        for kind in ("month", "quarter", "year"):
            plan = selectors.plan_for(person, kind)
            if plan is not None:
                period = current_period(kind)
                break
    if plan is None or period is None:
        raise ValidationError({"detail": [_("No incentive plan applies to you for this period.")]})
    components, inputs = inputs_for(plan, person, period)
    base = compute(components, inputs)
    lines = compute(components, with_extra(inputs, extra))
    return WhatIf(plan, period, extra, base, lines)
