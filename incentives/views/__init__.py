"""Pages of the incentives area: home (my statement, what-if, badges), statements and their
workflow, payroll export. Plans are in `views.plans`, leaderboards and badges in
`views.recognition`. Every page checks scope through `incentives.selectors`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incentives import selectors, services
from incentives.engine import PlanInvalid, parse_components
from incentives.figures import payout_curve_with_marker
from incentives.forms import StatementFilterForm, WhatIfForm
from incentives.models import IncentivePlan, Statement
from salesgoals import scope
from salesgoals.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, to_csv, to_xlsx
from salesgoals.ids import is_id
from salesgoals.models import Period, Role
from salesgoals.money import from_minor


def _is_leader(user) -> bool:
    return user.role != Role.REP or user.is_superuser


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    mine = selectors.statements_visible(user, person=user.pk)
    latest = mine.first()
    context = {
        "latest": latest,
        "lines": list(selectors.statement_lines(latest)) if latest else [],
        "my_statements": mine[:8],
        "badges": selectors.badges_visible(user, person=user.pk)[:12],
        "feed": selectors.recognition_feed(10),
        "what_if_form": WhatIfForm(),
        "is_leader": _is_leader(user),
        "is_admin": scope.is_admin(user),
        "to_approve": selectors.statements_visible(user, status=Statement.Status.DRAFT)
        .exclude(person=user)
        .count()
        if _is_leader(user)
        else 0,
    }
    return render(request, "incentives/home.html", context)


@login_required
@require_POST
def what_if(request: HttpRequest) -> HttpResponse:
    """The what-if panel (htmx swaps it in place; without JavaScript, a page around it).

    Always 200 with the messages in the panel: htmx does not swap error responses.
    """
    form = WhatIfForm(request.POST)
    result, error = None, None
    if form.is_valid():
        try:
            result = services.what_if(person=request.user, extra=form.cleaned_data["amount"])
        except ValidationError as exc:
            error = " ".join(exc.messages)
    context = {"what_if_form": form, "result": result, "error": error}
    if request.headers.get("HX-Request"):
        return render(request, "incentives/_what_if.html", context)
    return render(request, "incentives/what_if.html", context)


STATEMENT_FILTERS = ("period", "status", "org_unit")


def _statement_rows(request: HttpRequest):
    form = StatementFilterForm(request.GET or None, user=request.user)
    filters = {k: request.GET.get(k) or "" for k in STATEMENT_FILTERS}
    rows = selectors.statements_visible(request.user, **filters)
    return form, filters, rows


@login_required
def statement_list(request: HttpRequest) -> HttpResponse:
    form, filters, rows = _statement_rows(request)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    shown = selectors.annotate_actions(request.user, list(page.object_list))
    query = {k: v for k, v in filters.items() if v}
    api = reverse("statement-list")
    context = {
        "form": form,
        "page": page,
        "filtered": bool(query),
        "is_leader": _is_leader(request.user),
        "is_admin": scope.is_admin(request.user),
        "approvable": [s for s in shown if s.can_approve],
        "plans": selectors.plans_visible(request.user, current_only=True),
        "periods": Period.objects.exclude(kind="week").order_by("-start")[:40],
        "exports": {fmt: f"{api}?{urlencode({**query, 'format': fmt})}" for fmt in ("csv", "xlsx")},
        "payroll": {
            fmt: reverse("incentives:payroll") + "?" + urlencode({**query, "format": fmt})
            for fmt in ("csv", "xlsx")
        },
    }
    return render(request, "incentives/statement_list.html", context)


def _statement_figure(statement: Statement, lines: list) -> dict | None:
    """The plan's first tiered curve with this statement's point (attainment, bonus)."""
    tiered = next((line for line in lines if line.kind == "tiered"), None)
    if tiered is None:
        return None
    try:
        components = [
            c for c in parse_components(statement.plan.components) if c.key == tiered.component_key
        ]
    except PlanInvalid:
        return None
    return payout_curve_with_marker(
        components,
        tiered.inputs.get("attainment_pct"),
        str(from_minor(tiered.amount_minor)),
        _("You"),
    )


@login_required
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = selectors.statement_get_for_user(user=request.user, pk=pk)
    user = request.user
    lines = selectors.statement_lines(statement)
    context = {
        "statement": statement,
        "lines": lines,
        "figure": _statement_figure(statement, lines),
        "can_approve": selectors.statement_can_approve(user, statement),
        "can_pay": selectors.statement_can_pay(user, statement),
        "can_recompute": selectors.statement_can_recompute(user, statement),
        "is_own": statement.person_id == user.pk,
        "what_if_form": WhatIfForm(),
    }
    return render(request, "incentives/statement_detail.html", context)


def _act(request: HttpRequest, fn, statement: Statement, done: str) -> None:
    try:
        fn(actor=request.user, statement=statement)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)


@login_required
@require_POST
def statement_approve(request: HttpRequest, pk: int) -> HttpResponse:
    statement = selectors.statement_get_for_user(user=request.user, pk=pk)
    _act(request, services.statement_approve, statement, _("Statement approved."))
    return redirect(_safe_next(request, reverse("incentives:statement-detail", args=[pk])))


@login_required
@require_POST
def statements_approve(request: HttpRequest) -> HttpResponse:
    """Approve several drafts at once (each checked like a single approval)."""
    ids = [int(i) for i in request.POST.getlist("ids") if is_id(i)]
    approved = 0
    for statement in selectors.statements_visible(request.user).filter(pk__in=ids):
        if not selectors.statement_can_approve(request.user, statement):
            continue
        try:
            services.statement_approve(actor=request.user, statement=statement)
        except (ValidationError, PermissionDenied):
            continue
        approved += 1
    messages.success(request, _("%(n)s statements approved.") % {"n": approved})
    return redirect(_safe_next(request, reverse("incentives:statements")))


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@login_required
@require_POST
def statement_pay(request: HttpRequest, pk: int) -> HttpResponse:
    statement = selectors.statement_get_for_user(user=request.user, pk=pk)
    _act(request, services.statement_mark_paid, statement, _("Statement marked paid."))
    return redirect(_safe_next(request, reverse("incentives:statement-detail", args=[pk])))


@login_required
@require_POST
def statement_recompute(request: HttpRequest, pk: int) -> HttpResponse:
    statement = selectors.statement_get_for_user(user=request.user, pk=pk)
    if not selectors.statement_can_recompute(request.user, statement):
        raise PermissionDenied
    services.statement_compute(person=statement.person, period=statement.period)
    messages.success(request, _("Statement recomputed from the latest KPIs."))
    return redirect("incentives:statement-detail", pk=pk)


@login_required
@require_POST
def statements_compute(request: HttpRequest) -> HttpResponse:
    """Admins compute a plan's statements for a period on demand."""
    if not scope.is_admin(request.user):
        raise PermissionDenied
    plan = get_object_or_404(IncentivePlan, pk=request.POST.get("plan"), is_current=True)
    period = get_object_or_404(Period, pk=request.POST.get("period"))
    try:
        done = services.statements_compute(plan=plan, period=period)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(n)s statements computed.") % {"n": len(done)})
    return redirect(reverse("incentives:statements") + f"?period={period.pk}")


PAYROLL_COLUMNS = (
    "employee",
    "name",
    "org_unit",
    "period",
    "period_start",
    "period_end",
    "plan",
    "status",
    "amount",
    "approved_at",
    "paid_at",
)


def payroll_rows(statements) -> list[dict]:
    return [
        {
            "employee": s.person.username,
            "name": s.person.display,
            "org_unit": s.person.org_unit.name if s.person.org_unit else "",
            "period": s.period.label,
            "period_start": s.period.start.isoformat(),
            "period_end": s.period.end.isoformat(),
            "plan": str(s.plan),
            "status": s.status,
            "amount": str(from_minor(s.total_minor)),
            "approved_at": s.approved_at.isoformat() if s.approved_at else "",
            "paid_at": s.paid_at.isoformat() if s.paid_at else "",
        }
        for s in statements
    ]


@login_required
def payroll(request: HttpRequest) -> HttpResponse:
    """Payroll export: approved and paid statements in scope (leaders only)."""
    if not _is_leader(request.user):
        raise PermissionDenied
    _form, _filters, rows = _statement_rows(request)
    rows = rows.exclude(status=Statement.Status.DRAFT)
    data = payroll_rows(rows)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            to_xlsx(data, PAYROLL_COLUMNS, title="payroll"), content_type=XLSX_CONTENT_TYPE
        )
        response["Content-Disposition"] = 'attachment; filename="payroll.xlsx"'
        return response
    response = HttpResponse(to_csv(data, PAYROLL_COLUMNS), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="payroll.csv"'
    return response
