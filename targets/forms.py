"""Forms of the target pages: the plan wizard, re-split, revision and import."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesgoals import scope
from salesgoals.models import FiscalYear, Metric, OrgUnit, User
from targets import rules
from targets.models import OwnerMethod, PeriodMethod, SplitProfile, TargetPlan, TargetRevision
from targets.smart import PlanDraft
from targets.units import to_stored


class PlanForm(forms.Form):
    metric = forms.ModelChoiceField(
        label=_("Metric"), queryset=Metric.objects.filter(is_active=True), empty_label=None
    )
    fiscal_year = forms.ModelChoiceField(
        label=_("Fiscal year"), queryset=FiscalYear.objects.all(), empty_label=None
    )
    org_unit = forms.ModelChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())
    value = forms.DecimalField(
        label=_("Annual value"),
        min_value=0,
        decimal_places=2,
        max_digits=20,
        help_text=_("In the metric's unit: amount in base currency, a count, or a rate in %."),
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Specific: what is measured, for whom, and how it will be reached."),
    )
    objective = forms.CharField(
        label=_("Company objective"),
        required=False,
        max_length=200,
        help_text=_("Relevant: the objective this serves, if there is no parent plan."),
    )
    parent = forms.ModelChoiceField(
        label=_("Parent plan"), queryset=TargetPlan.objects.none(), required=False
    )
    period_method = forms.ChoiceField(
        label=_("Split over periods"), choices=PeriodMethod.choices, initial="working_days"
    )
    owner_method = forms.ChoiceField(
        label=_("Split over units and reps"), choices=OwnerMethod.choices, initial="even"
    )
    profile = forms.ModelChoiceField(
        label=_("Profile"), queryset=SplitProfile.objects.all(), required=False
    )
    over_assignment = forms.DecimalField(
        label=_("Over-assignment (%)"),
        initial=Decimal(100),
        min_value=100,
        max_value=200,
        decimal_places=2,
        help_text=_("Above 100%, the units and reps below add up to more than the plan."),
    )
    warnings_reason = forms.CharField(
        label=_("Reason for going ahead despite the warnings"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["org_unit"].queryset = scope.editable_units(user).filter(is_active=True)
        # Only plans the user may open: a plan outside their scope is not even named here.
        self.fields["parent"].queryset = (
            TargetPlan.objects.filter(rules.plans_visible_q(user))
            .exclude(status=TargetPlan.Status.CLOSED)
            .select_related("metric", "org_unit", "fiscal_year")
        )
        today = timezone.localdate()
        self.fields["fiscal_year"].queryset = FiscalYear.objects.filter(end__gte=today)
        current = FiscalYear.objects.filter(start__lte=today, end__gte=today).first()
        if current and not self.is_bound:
            self.initial.setdefault("fiscal_year", current.pk)
        for name in ("value", "over_assignment", "description"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def clean(self):
        data = super().clean()
        metric, value = data.get("metric"), data.get("value")
        if metric is not None and value is not None:
            try:
                data["stored_value"] = to_stored(metric, value)
            except ValueError as error:
                self.add_error("value", str(error))
        return data

    def draft(self) -> PlanDraft:
        data = self.cleaned_data
        return PlanDraft(
            metric=data.get("metric"),
            fiscal_year=data.get("fiscal_year"),
            org_unit=data.get("org_unit"),
            value=data.get("stored_value"),
            description=data.get("description", ""),
            objective=data.get("objective", ""),
            parent=data.get("parent"),
            period_method=data.get("period_method") or PeriodMethod.WORKING_DAYS,
            owner_method=data.get("owner_method") or OwnerMethod.EVEN,
            profile=data.get("profile"),
            over_assignment_bp=int((data.get("over_assignment") or Decimal(100)) * 100),
            warnings_reason=data.get("warnings_reason", ""),
        )


class ResplitForm(forms.Form):
    period_method = forms.ChoiceField(label=_("Split over periods"), choices=PeriodMethod.choices)
    owner_method = forms.ChoiceField(
        label=_("Split over units and reps"), choices=OwnerMethod.choices
    )
    profile = forms.ModelChoiceField(
        label=_("Profile"), queryset=SplitProfile.objects.all(), required=False
    )
    owner = forms.CharField(required=False, widget=forms.HiddenInput)


class RevisionForm(forms.Form):
    effective_date = forms.DateField(
        label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    new_value = forms.DecimalField(
        label=_("New annual value"), min_value=0, decimal_places=2, max_digits=20
    )
    mode = forms.ChoiceField(
        label=_("Past periods"), choices=TargetRevision.Mode.choices, initial="keep_past"
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    source_ref = forms.CharField(required=False, widget=forms.HiddenInput)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Edited workbook (.xlsx)"))


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
