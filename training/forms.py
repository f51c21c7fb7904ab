"""Forms of the training pages; the rules themselves live in `training.services`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesgoals import scope
from salesgoals.models import Metric, OrgUnit, User
from training.models import Course, RecommendationRule
from training.services import ALLOWED_EXTENSIONS

OPTION_SLOTS = 5


class CourseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    code = forms.SlugField(
        label=_("Code"),
        max_length=60,
        help_text=_("A short unique identifier, e.g. product-basics."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Course.Category.choices)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    certifying = forms.BooleanField(
        label=_("Certifying course"),
        required=False,
        help_text=_("Completing the course issues a certification."),
    )
    certification_valid_months = forms.IntegerField(
        label=_("Certification valid for (months)"),
        required=False,
        min_value=1,
        max_value=120,
        help_text=_("Empty means the certification never expires."),
    )
    active = forms.BooleanField(label=_("Offered in the catalogue"), required=False, initial=True)


class ModuleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Content"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    minutes = forms.IntegerField(label=_("Estimated minutes"), min_value=0, initial=15)
    order = forms.IntegerField(label=_("Order"), min_value=1, required=False)


class MaterialForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    file = forms.FileField(
        label=_("File"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ALLOWED_EXTENSIONS)}),
    )
    url = forms.URLField(label=_("Or a link"), required=False, assume_scheme="https")


class QuizForm(forms.Form):
    pass_mark = forms.IntegerField(label=_("Pass mark (%)"), min_value=1, max_value=100, initial=70)


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(1, OPTION_SLOTS + 1):
            self.fields[f"option_{i}"] = forms.CharField(
                label=_("Answer %(n)s") % {"n": i}, max_length=300, required=False
            )
            self.fields[f"correct_{i}"] = forms.BooleanField(label=_("Correct"), required=False)

    def options(self) -> list[tuple[str, bool]]:
        data = self.cleaned_data
        return [
            (data.get(f"option_{i}") or "", bool(data.get(f"correct_{i}")))
            for i in range(1, OPTION_SLOTS + 1)
        ]

    def option_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"option_{i}"], self[f"correct_{i}"]) for i in range(1, OPTION_SLOTS + 1)]


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        unit = f" · {obj.org_unit}" if obj.org_unit_id else ""
        return f"{obj.display}{unit}"


class AssignForm(forms.Form):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.none())
    people = PersonChoiceField(
        label=_("People"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    unit = forms.ModelChoiceField(
        label=_("Or everyone in a unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("Assigns the course to every active person of the unit and its sub-units."),
    )
    due_on = forms.DateField(
        label=_("Due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.filter(active=True).order_by("title")
        self.fields["people"].queryset = (
            scope.visible_users(user)
            .filter(is_active=True)
            .select_related("org_unit")
            .order_by("org_unit__path", "display_name")
        )
        self.fields["unit"].queryset = scope.editable_units(user).order_by("path")

    def clean_due_on(self) -> Any:
        due = self.cleaned_data.get("due_on")
        if due and due < timezone.localdate():
            raise forms.ValidationError(_("The due date is in the past."))
        return due


class DueForm(forms.Form):
    due_on = forms.DateField(
        label=_("Due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    metric = forms.ModelChoiceField(
        label=_("Metric"), queryset=Metric.objects.filter(is_active=True), to_field_name="code"
    )
    condition = forms.ChoiceField(
        label=_("Condition"), choices=RecommendationRule.Condition.choices
    )
    months = forms.IntegerField(label=_("Consecutive months"), min_value=1, max_value=12, initial=2)
    threshold = forms.IntegerField(
        label=_("Threshold (%)"),
        min_value=1,
        max_value=500,
        required=False,
        help_text=_("Only for attainment: fire when attainment is below this percentage."),
    )
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.none())
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.filter(active=True).order_by("title")


class EffectivenessForm(forms.Form):
    metric = forms.ModelChoiceField(
        label=_("Metric"),
        queryset=Metric.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
    )
    months = forms.IntegerField(
        label=_("Months before and after"), min_value=1, max_value=12, initial=3, required=False
    )
