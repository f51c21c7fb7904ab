"""Forms of the strategy, action-plan and task pages; the checks live in the services.

Money is typed in the base currency and stored in minor units; an expected contribution is
typed in the target metric's unit (amount, count or %) and stored like the target plan.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plans.models import ActionPlan, PlanStatus, Strategy, Task
from plans.selectors import actions as sel
from salesgoals.fiscal import display_label
from salesgoals.forms import FastSelect, PersonChoiceField, UnitChoiceField
from salesgoals.models import OrgUnit, Period, PeriodKind, Role, User
from salesgoals.money import from_minor, to_minor
from targets import selectors as target_selectors
from targets.models import TargetPlan
from targets.units import from_stored, to_stored

DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


def _money_field(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
        initial=Decimal(0),
        help_text=_("In the base currency."),
    )


class PlanChoiceField(forms.ModelChoiceField):
    widget = FastSelect

    def label_from_instance(self, obj: TargetPlan) -> str:
        return f"{obj.metric.name} · {obj.org_unit.name} · {obj.fiscal_year.year}"


class PeriodChoiceField(forms.ModelChoiceField):
    widget = FastSelect

    def label_from_instance(self, obj: Period) -> str:
        return display_label(obj.kind, obj.number, obj.start, obj.end, obj.fiscal_year)


class _ScopedForm(forms.Form):
    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if "org_unit" in self.fields:
            self.fields["org_unit"].queryset = sel.manageable_units(user).filter(is_active=True)
        if "owner" in self.fields:
            self.fields["owner"].queryset = sel.assignable_people(user)
        if "target_plan" in self.fields:
            self.fields["target_plan"].queryset = (
                target_selectors.plans_visible(user)
                .exclude(status=TargetPlan.Status.CLOSED)
                .order_by("-fiscal_year__year", "metric__code", "org_unit__path")
            )


class StrategyForm(_ScopedForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Strategy.Kind.choices)
    goal = forms.CharField(label=_("Goal"), widget=forms.Textarea(attrs={"rows": 3}))
    org_unit = UnitChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())
    owner = PersonChoiceField(label=_("Owner"), queryset=User.objects.none())
    target_plan = PlanChoiceField(
        label=_("Target plan"),
        queryset=TargetPlan.objects.none(),
        required=False,
        empty_label=_("— none —"),
    )
    period = PeriodChoiceField(
        label=_("Fiscal period"),
        queryset=Period.objects.none(),
        required=False,
        empty_label=_("— choose dates instead —"),
        help_text=_("A quarter, month or year; or leave empty and give dates."),
    )
    start_date = forms.DateField(label=_("Start date"), required=False, **DATE)
    end_date = forms.DateField(label=_("End date"), required=False, **DATE)
    budget = _money_field(_("Budget"))
    expected_contribution = forms.DecimalField(
        label=_("Expected contribution"),
        required=False,
        max_digits=20,
        decimal_places=2,
        help_text=_("Effect on the target plan's metric, in its unit (amount, count or %)."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        year = timezone.localdate().year
        self.fields["period"].queryset = (
            Period.objects.filter(
                kind__in=(PeriodKind.YEAR, PeriodKind.QUARTER, PeriodKind.MONTH),
                fiscal_year__year__in=(year - 1, year, year + 1),
            )
            .select_related("fiscal_year")
            .order_by("start", "kind")
        )

    @staticmethod
    def initial_from(item: Strategy) -> dict[str, Any]:
        contribution = item.expected_contribution
        if contribution is not None and item.target_plan_id:
            contribution = from_stored(item.target_plan.metric, contribution)
        return {
            "name": item.name,
            "kind": item.kind,
            "goal": item.goal,
            "org_unit": item.org_unit_id,
            "owner": item.owner_id,
            "target_plan": item.target_plan_id,
            "period": item.period_id,
            "start_date": item.start_date,
            "end_date": item.end_date,
            "budget": from_minor(item.budget),
            "expected_contribution": contribution,
        }

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["budget"] = to_minor(data["budget"] or 0)
        contribution = data.get("expected_contribution")
        if contribution is not None:
            plan = data.get("target_plan")
            if plan is not None:
                try:
                    contribution = to_stored(plan.metric, contribution)
                except ValueError as error:
                    self.add_error("expected_contribution", str(error))
                    return {}
            else:
                contribution = int(contribution)
        data["expected_contribution"] = contribution
        return data


class ActionPlanForm(_ScopedForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    org_unit = UnitChoiceField(label=_("Team"), queryset=OrgUnit.objects.none())
    rep = PersonChoiceField(
        label=_("For one rep"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— the whole team —"),
    )
    owner = PersonChoiceField(label=_("Owner"), queryset=User.objects.none())
    strategy = forms.ModelChoiceField(
        label=_("Strategy"),
        queryset=Strategy.objects.none(),
        required=False,
        empty_label=_("— none —"),
    )
    target_plan = PlanChoiceField(
        label=_("Target plan"),
        queryset=TargetPlan.objects.none(),
        required=False,
        empty_label=_("— the strategy's —"),
        help_text=_("Link a strategy, a target plan, or both."),
    )
    start_date = forms.DateField(label=_("Start date"), **DATE)
    end_date = forms.DateField(label=_("End date"), **DATE)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["rep"].queryset = sel.assignable_people(user).filter(role=Role.REP)
        self.fields["strategy"].queryset = sel.strategies_visible(user).exclude(
            status=PlanStatus.CANCELLED
        )

    @staticmethod
    def initial_from(item: ActionPlan) -> dict[str, Any]:
        return {
            name: getattr(item, ActionPlan._meta.get_field(name).attname)
            for name in (
                "title",
                "description",
                "org_unit",
                "rep",
                "owner",
                "strategy",
                "target_plan",
                "start_date",
                "end_date",
            )
        }


class TaskForm(_ScopedForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    owner = PersonChoiceField(label=_("Owner"), queryset=User.objects.none())
    start_date = forms.DateField(
        label=_("Start date"),
        required=False,
        help_text=_("A milestone takes its due date."),
        **DATE,
    )
    due_date = forms.DateField(label=_("Due date"), **DATE)
    is_milestone = forms.BooleanField(
        label=_("Milestone"),
        required=False,
        help_text=_("A time node of the plan (shown as a diamond on the timeline)."),
    )
    depends_on = forms.ModelMultipleChoiceField(
        label=_("Depends on"),
        queryset=Task.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The task can start only when these are done."),
    )
    budget = _money_field(_("Budget"))
    hours = forms.DecimalField(
        label=_("Hours"), required=False, min_value=0, max_digits=7, decimal_places=1
    )
    materials = forms.CharField(
        label=_("Materials"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, *args: Any, user: User, plan: ActionPlan, task: Task | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, user=user, **kwargs)
        others = plan.tasks.order_by("start_date", "id")
        if task is not None:
            others = others.exclude(pk=task.pk)
        self.fields["depends_on"].queryset = others

    @staticmethod
    def initial_from(item: Task) -> dict[str, Any]:
        return {
            "title": item.title,
            "owner": item.owner_id,
            "start_date": item.start_date,
            "due_date": item.due_date,
            "is_milestone": item.is_milestone,
            "depends_on": [d.pk for d in item.depends_on.all()],
            "budget": from_minor(item.budget),
            "hours": item.hours,
            "materials": item.materials,
            "description": item.description,
        }

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["budget"] = to_minor(data["budget"] or 0)
        data["hours"] = data["hours"] or 0
        data["depends_on"] = list(data["depends_on"])
        return data


class TaskMoveForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Task.Status.choices, required=False)
    progress = forms.IntegerField(label=_("Progress %"), min_value=0, max_value=100, required=False)
    blocked_reason = forms.CharField(label=_("Blocked because"), max_length=200, required=False)
