"""Forms of the feedback pages; the checks themselves live in `plans.services`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plans.models import Feedback
from targets import selectors as target_selectors
from targets.models import TargetPlan


class FeedbackForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Feedback.Category.choices)
    plan = forms.ModelChoiceField(
        label=_("Target plan"),
        queryset=TargetPlan.objects.none(),
        required=False,
        empty_label=_("— general feedback —"),
        help_text=_("Leave empty for feedback that is not about one target plan."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Feedback"), widget=forms.Textarea(attrs={"rows": 6}))
    anonymous = forms.BooleanField(
        label=_("Anonymous suggestion"),
        required=False,
        help_text=_("Only admins will see that you wrote it."),
    )
    # Set by the "Raise feedback" links of action plans and tasks (scope checked by the service).
    action_plan = forms.IntegerField(required=False, widget=forms.HiddenInput)
    task = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plans = target_selectors.plans_visible(user).distinct()
        self.fields["plan"].queryset = plans.order_by("-fiscal_year__year", "metric__code")


class ResponseForm(forms.Form):
    text = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 3}))
