"""Forms and list filters for the org tree and people pages.

The filter sets are shared with the API (`salesgoals/api/org.py`), so a page, its export
links and the API accept the same query parameters.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from salesgoals import scope
from salesgoals.models import OrgUnit, Role, User

INDENT = "\u2003"  # em space: shows the depth of a unit in a flat <select>


class FastSelect(forms.Select):
    """A <select> whose options are built in Python, not one template include per option.

    The org has hundreds of units and people; Django's per-option templates made a page
    with a few such selects take hundreds of milliseconds.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> str:
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(option), " selected" if str(option) in selected else "", label)
                for option, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


class UnitChoiceField(forms.ModelChoiceField):
    """Units in tree order, indented by depth."""

    widget = FastSelect

    def label_from_instance(self, obj: OrgUnit) -> str:
        return f"{INDENT * (obj.depth - 1)}{obj.name}"


class PersonChoiceField(forms.ModelChoiceField):
    widget = FastSelect

    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display} ({obj.get_role_display()})"


def manager_candidates() -> QuerySet[User]:
    """People who may manage a unit: active and not sales reps (see org_unit_set_manager)."""
    return (
        User.objects.filter(is_active=True)
        .exclude(role=Role.REP)
        .order_by("display_name", "username")
    )


def active_units() -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(is_active=True).only("pk", "name", "depth", "path")


def apply_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's field-keyed error next to the matching field, or above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# --- Org units ---------------------------------------------------------------------------


class OrgUnitCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrgUnit.Kind.choices, initial="team")
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        required=False,
        help_text=_("Optional short code, e.g. for CRM mappings (letters, digits, - and _)."),
    )
    parent = UnitChoiceField(
        label=_("Parent unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("— none (the company itself) —"),
    )
    manager = PersonChoiceField(
        label=_("Manager"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— no manager yet —"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = active_units()
        self.fields["manager"].queryset = manager_candidates()


class OrgUnitEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrgUnit.Kind.choices)
    code = forms.SlugField(label=_("Code"), max_length=40, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    @classmethod
    def for_unit(cls, unit: OrgUnit, data: Any = None) -> OrgUnitEditForm:
        initial = {
            "name": unit.name,
            "kind": unit.kind,
            "code": unit.code or "",
            "is_active": unit.is_active,
        }
        return cls(data, initial=initial, prefix="edit")


class OrgUnitMoveForm(forms.Form):
    parent = UnitChoiceField(
        label=_("New parent unit"),
        queryset=OrgUnit.objects.none(),
        empty_label=_("— choose a unit —"),
    )

    def __init__(self, *args: Any, unit: OrgUnit, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "move")
        super().__init__(*args, **kwargs)
        # A unit cannot go under itself or its own subtree; the service checks it again.
        self.fields["parent"].queryset = active_units().exclude(path__startswith=unit.path)


class OrgUnitManagerForm(forms.Form):
    manager = PersonChoiceField(
        label=_("Manager"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— no manager —"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "mgr")
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = manager_candidates()


class MemberMoveForm(forms.Form):
    person = PersonChoiceField(
        label=_("Person"), queryset=User.objects.none(), empty_label=_("— choose a person —")
    )
    org_unit = UnitChoiceField(
        label=_("Move to unit"), queryset=OrgUnit.objects.none(), empty_label=_("— choose a unit —")
    )

    def __init__(self, *args: Any, unit: OrgUnit, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "member")
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = unit.members.order_by("display_name", "username")
        self.fields["org_unit"].queryset = active_units().exclude(pk=unit.pk)


# --- People ------------------------------------------------------------------------------

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UserForm(forms.ModelForm):
    """Edit a person. Saving goes through `services.user_update`, not `form.save()`."""

    org_unit = UnitChoiceField(
        label=_("Home unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("— no unit —"),
    )

    class Meta:
        model = User
        fields = [
            "display_name",
            "first_name",
            "last_name",
            "email",
            "role",
            "org_unit",
            "hire_date",
            "leave_date",
            "is_active",
            "zoho_user_id",
            "fxiaoke_user_id",
        ]
        widgets = {"hire_date": DATE_INPUT, "leave_date": DATE_INPUT}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = active_units()
        if self.instance.org_unit_id:
            units = OrgUnit.objects.filter(Q(is_active=True) | Q(pk=self.instance.org_unit_id))
        self.fields["org_unit"].queryset = units

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        hire, leave = cleaned.get("hire_date"), cleaned.get("leave_date")
        if hire and leave and leave < hire:
            self.add_error("leave_date", _("The leave date cannot be before the hire date."))
        if cleaned.get("role") == Role.REP and not cleaned.get("org_unit"):
            self.add_error("org_unit", _("A sales rep needs a home unit."))
        return cleaned

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class UserCreateForm(UserForm):
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to create an account that cannot log in yet."),
    )

    field_order = ["username", "password"]

    class Meta(UserForm.Meta):
        fields = ["username", *UserForm.Meta.fields]

    def _post_clean(self) -> None:
        super()._post_clean()
        password = self.cleaned_data.get("password")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except ValidationError as error:
                self.add_error("password", error)

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["password"] = data.get("password") or None
        return data


# --- List filters (pages and API) ---------------------------------------------------------

ACTIVE_CHOICES = forms.Select(
    choices=[("", _("All")), ("true", _("Active")), ("false", _("Inactive"))]
)


class UnitFilter(django_filters.ModelChoiceFilter):
    field_class = UnitChoiceField


def _search_q(value: str, fields: list[str]) -> Q:
    q = Q()
    for field in fields:
        q |= Q(**{f"{field}__icontains": value})
    return q


class OrgUnitFilterSet(django_filters.FilterSet):
    parent = django_filters.NumberFilter(
        method="filter_parent", label=_("Direct children of this unit (id)")
    )
    kind = django_filters.ChoiceFilter(choices=OrgUnit.Kind.choices, label=_("Kind"))
    depth = django_filters.NumberFilter(label=_("Depth (1 = company)"))
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=ACTIVE_CHOICES)
    search = django_filters.CharFilter(method="filter_search", label=_("Name or code contains"))

    class Meta:
        model = OrgUnit
        fields = ["parent", "kind", "depth", "is_active", "search"]

    @extend_schema_field(OpenApiTypes.INT)
    def filter_parent(self, queryset: QuerySet[OrgUnit], name: str, value: Any) -> QuerySet:
        parent = OrgUnit.objects.filter(pk=value).values_list("path", "depth").first()
        if parent is None:
            return queryset.none()
        path, depth = parent
        return queryset.filter(path__startswith=path, depth=depth + 1)

    def filter_search(self, queryset: QuerySet[OrgUnit], name: str, value: str) -> QuerySet:
        return queryset.filter(_search_q(value.strip(), ["name", "code"])) if value else queryset


class UserFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, username, e-mail…")}
        ),
    )
    role = django_filters.ChoiceFilter(
        choices=Role.choices, label=_("Role"), empty_label=_("All roles")
    )
    # Any unit id is accepted: the list being filtered is already scoped, so a unit outside
    # the scope simply matches nobody. Pages narrow the choices with `limit_units_to_scope`.
    org_unit = UnitFilter(
        queryset=OrgUnit.objects.all(),
        method="filter_org_unit",
        label=_("Unit (and the units below it)"),
        empty_label=_("All units"),
    )
    subtree = django_filters.BooleanFilter(
        method="filter_nothing",
        label=_("Include the units below (default true); false = home unit exactly"),
        widget=forms.HiddenInput,
    )
    is_active = django_filters.BooleanFilter(label=_("Status"), widget=ACTIVE_CHOICES)

    class Meta:
        model = User
        fields = ["search", "role", "org_unit", "subtree", "is_active"]

    def limit_units_to_scope(self, user: User) -> None:
        self.form.fields["org_unit"].queryset = scope.visible_units(user)

    @extend_schema_field(OpenApiTypes.INT)
    def filter_org_unit(self, queryset: QuerySet[User], name: str, value: OrgUnit) -> QuerySet:
        if self.form.cleaned_data.get("subtree") is False:
            return queryset.filter(org_unit=value)
        return queryset.filter(org_unit__path__startswith=value.path)

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_nothing(self, queryset: QuerySet[User], name: str, value: Any) -> QuerySet:
        return queryset

    def filter_search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet:
        fields = [
            "username",
            "display_name",
            "first_name",
            "last_name",
            "email",
            "zoho_user_id",
            "fxiaoke_user_id",
        ]
        return queryset.filter(_search_q(value.strip(), fields)) if value.strip() else queryset
