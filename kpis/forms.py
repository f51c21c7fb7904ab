"""Forms for logging progress, and the fact list filters shared by pages and the API.

Forms only check and convert input; saving goes through `kpis.services` (`service_kwargs`),
whose field-keyed errors are shown next to the matching field.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpis import selectors
from kpis.models import Activity, Customer, Deal, Fact, Lead, Order, Payment, Source
from salesgoals import money, scope
from salesgoals.forms import DATE_INPUT, FastSelect, PersonChoiceField, UnitFilter
from salesgoals.models import OrgUnit, Role, User

CHOICES_SHOWN = 300  # a <select> of related facts shows the most recent ones

# --- List filters (pages and API) ---------------------------------------------------------


class PersonFilter(django_filters.ModelChoiceFilter):
    field_class = PersonChoiceField


class FactFilterSet(django_filters.FilterSet):
    """`?owner=&org_unit=&date_from=&date_to=&status=&search=&source=&customer=` (`type=`).

    The list being filtered is already scoped, so an id outside the scope matches nothing.
    The filtering itself is `kpis.selectors.fact_filter`, so pages, exports and the API
    agree.
    """

    search = django_filters.CharFilter(
        label=_("Search"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, customer…")}),
    )
    owner = PersonFilter(queryset=User.objects.all(), label=_("Owner"), empty_label=_("Everyone"))
    org_unit = UnitFilter(
        queryset=OrgUnit.objects.all(),
        label=_("Unit (and the units below it)"),
        empty_label=_("All units"),
    )
    date_from = django_filters.DateFilter(label=_("From"), widget=DATE_INPUT)
    date_to = django_filters.DateFilter(label=_("To"), widget=DATE_INPUT)
    source = django_filters.ChoiceFilter(
        choices=Source.choices, label=_("Source"), empty_label=_("All sources")
    )

    class Meta:
        fields: list[str] = []

    def limit_to_scope(self, user: User) -> None:
        """Pages: offer only the people and units the user can see."""
        form = self.form
        people = scope.visible_users(user).filter(is_active=True)
        form.fields["owner"].queryset = people.order_by("display_name", "username")
        form.fields["org_unit"].queryset = scope.visible_units(user).only(
            "pk", "name", "depth", "path"
        )
        if user.role == Role.REP and not scope.sees_everything(user):
            del form.fields["owner"]
            del form.fields["org_unit"]

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        values = {k: v for k, v in self.form.cleaned_data.items() if v not in (None, "")}
        if "type" in values:
            values["kind"] = values.pop("type")
        return selectors.fact_filter(queryset, **values)


class CustomerFilterSet(FactFilterSet):
    class Meta:
        model = Customer
        fields: list[str] = []


class _WithCustomer(FactFilterSet):
    customer = django_filters.NumberFilter(label=_("Customer (id)"), widget=forms.HiddenInput)


class LeadFilterSet(_WithCustomer):
    status = django_filters.ChoiceFilter(
        choices=Lead.Status.choices, label=_("Status"), empty_label=_("All")
    )

    class Meta:
        model = Lead
        fields: list[str] = []


class DealFilterSet(_WithCustomer):
    status = django_filters.ChoiceFilter(
        choices=Deal.Status.choices, label=_("Status"), empty_label=_("All")
    )

    class Meta:
        model = Deal
        fields: list[str] = []


class OrderFilterSet(_WithCustomer):
    class Meta:
        model = Order
        fields: list[str] = []


class PaymentFilterSet(_WithCustomer):
    class Meta:
        model = Payment
        fields: list[str] = []


class ActivityFilterSet(_WithCustomer):
    type = django_filters.ChoiceFilter(
        field_name="kind",
        choices=Activity.Kind.choices,
        label=_("Type"),
        empty_label=_("All types"),
    )

    class Meta:
        model = Activity
        fields: list[str] = []


FILTERSETS: dict[type[Model], type[FactFilterSet]] = {
    Customer: CustomerFilterSet,
    Lead: LeadFilterSet,
    Deal: DealFilterSet,
    Order: OrderFilterSet,
    Payment: PaymentFilterSet,
    Activity: ActivityFilterSet,
}


# --- Choice fields for people and related facts -------------------------------------------


def writable_people(user: User) -> QuerySet[User]:
    """People `user` may log facts for: themself, their subtree (managers), or everyone."""
    people = scope.visible_users(user).filter(is_active=True, org_unit__isnull=False)
    return people.select_related(None).order_by("display_name", "username")


class _RecentIterator(forms.models.ModelChoiceIterator):
    """The most recent choices only (plus the chosen one); validation still uses them all."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        rows = list(self.queryset[: self.field.shown])
        chosen = self.field.chosen_pk
        if chosen and all(str(row.pk) != str(chosen) for row in rows):
            rows += list(self.queryset.filter(pk=chosen))
        for row in rows:
            yield self.choice(row)


class FactChoiceField(forms.ModelChoiceField):
    """A related fact (customer, deal, order) from the user's scope, newest first."""

    widget = FastSelect
    iterator = _RecentIterator

    def __init__(self, *args: Any, shown: int = CHOICES_SHOWN, **kwargs: Any) -> None:
        self.shown = shown
        self.chosen_pk: Any = None
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Fact) -> str:
        if isinstance(obj, Deal):
            return f"{obj.name} · {money.format_money(obj.amount_minor)}"
        if isinstance(obj, Order):
            label = obj.number or f"#{obj.pk}"
            return f"{label} · {obj.order_date:%Y-%m-%d} · {money.format_money(obj.amount_minor)}"
        return str(obj)


# --- Forms for logging progress -----------------------------------------------------------


class FactForm(forms.Form):
    """Base: an owner (managers and above choose one; a rep logs for themself)."""

    owner = PersonChoiceField(label=_("Owner"), queryset=User.objects.none())
    related: dict[str, type[Fact]] = {}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        people = writable_people(user)
        self.fields["owner"].queryset = people
        self.fields["owner"].empty_label = None
        self.fields["owner"].initial = user.pk
        self.owner_fixed = user.role == Role.REP and not scope.sees_everything(user)
        if self.owner_fixed:
            del self.fields["owner"]
        for name, model in self.related.items():
            field = self.fields[name]
            queryset = selectors.facts_visible(user, model)
            if model is Deal:
                queryset = queryset.order_by("-created_date", "-pk")
            elif model is Order:
                queryset = queryset.order_by("-order_date", "-pk")
            else:
                queryset = queryset.order_by("name", "pk")
            field.queryset = queryset
            field.chosen_pk = self.data.get(self.add_prefix(name)) or self.initial.get(name)

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["owner"] = self.user if self.owner_fixed else data["owner"]
        return data


class MoneyFields(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=15, decimal_places=2, min_value=Decimal(0)
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        min_length=3,
        help_text=_("Three-letter code; the base currency needs no rate."),
    )
    exchange_rate = forms.DecimalField(
        label=_("Exchange rate"),
        max_digits=18,
        decimal_places=8,
        required=False,
        help_text=_("Base-currency units per unit of this currency."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = money.base_currency()

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()


class ActivityForm(FactForm):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        widget=forms.TextInput(
            attrs={"autofocus": True, "placeholder": _("e.g. Called about the renewal")}
        ),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=Activity.Kind.choices, initial="call")
    activity_date = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    customer = FactChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(), required=False
    )
    deal = FactChoiceField(label=_("Deal"), queryset=Deal.objects.none(), required=False)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    related = {"customer": Customer, "deal": Deal}
    field_order = ["subject", "kind", "activity_date", "customer", "owner", "deal", "notes"]

    def __init__(self, *args: Any, quick: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("activity_date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["customer"].empty_label = _("— no customer —")
        self.fields["deal"].empty_label = _("— no deal —")
        if quick:
            # The quick log is one short line: subject, type, date, customer (and owner).
            del self.fields["deal"], self.fields["notes"]


class CustomerForm(FactForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    industry = forms.CharField(label=_("Industry"), max_length=80, required=False)
    city = forms.CharField(label=_("City"), max_length=80, required=False)
    created_date = forms.DateField(label=_("Customer since"), widget=DATE_INPUT)

    field_order = ["name", "owner", "industry", "city", "created_date"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("created_date", timezone.localdate())
        super().__init__(*args, **kwargs)


class LeadForm(FactForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Lead.Status.choices, initial="open")
    created_date = forms.DateField(label=_("Created on"), widget=DATE_INPUT)
    converted_date = forms.DateField(label=_("Converted on"), widget=DATE_INPUT, required=False)
    customer = FactChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(), required=False
    )

    related = {"customer": Customer}
    field_order = ["name", "company", "owner", "status", "created_date", "converted_date"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("created_date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["customer"].empty_label = _("— not converted yet —")


class DealForm(FactForm, MoneyFields):
    name = forms.CharField(label=_("Name"), max_length=200)
    customer = FactChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(), required=False
    )
    stage = forms.CharField(label=_("Stage"), max_length=80, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Deal.Status.choices, initial="open")
    probability = forms.IntegerField(
        label=_("Probability (%)"), min_value=0, max_value=100, required=False
    )
    created_date = forms.DateField(label=_("Created on"), widget=DATE_INPUT)
    close_date = forms.DateField(
        label=_("Close date"), widget=DATE_INPUT, help_text=_("Expected while open.")
    )

    related = {"customer": Customer}
    field_order = [
        "name",
        "customer",
        "owner",
        "amount",
        "currency",
        "exchange_rate",
        "stage",
        "status",
        "probability",
        "created_date",
        "close_date",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("created_date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["customer"].empty_label = _("— no customer —")

    @classmethod
    def initial_for(cls, deal: Deal) -> dict[str, Any]:
        return {
            "name": deal.name,
            "customer": deal.customer_id,
            "owner": deal.owner_id,
            "amount": money.from_minor(deal.original_amount_minor),
            "currency": deal.currency,
            "exchange_rate": None if deal.exchange_rate == 1 else deal.exchange_rate,
            "stage": deal.stage,
            "status": deal.status,
            "probability": deal.probability,
            "created_date": deal.created_date,
            "close_date": deal.close_date,
        }


class ShareForm(forms.Form):
    user = PersonChoiceField(
        label=_("Person"), queryset=User.objects.none(), required=False, empty_label="—"
    )
    share = forms.DecimalField(
        label=_("Share (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
        required=False,
    )

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("user") and cleaned.get("share") is None:
            self.add_error("share", _("Give this person's share."))
        if cleaned.get("share") is not None and not cleaned.get("user"):
            self.add_error("user", _("Choose who gets this share."))
        return cleaned


class BaseShareFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        self.people = people
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "people": self.people}

    @property
    def empty_form(self) -> forms.Form:
        return self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            people=self.people,
            renderer=self.renderer,
        )

    def shares(self) -> list[tuple[User, int]] | None:
        """(person, basis points) pairs, or None when no row was filled in."""
        rows = [
            (form.cleaned_data["user"], int(form.cleaned_data["share"] * 100))
            for form in self.forms
            if form.cleaned_data.get("user") and form.cleaned_data.get("share") is not None
        ]
        return rows or None


ShareFormSet = forms.formset_factory(ShareForm, formset=BaseShareFormSet, extra=0, max_num=10)


def share_formset(
    data: Any, *, user: User, deal: Deal | None = None, rows: int = 4
) -> BaseShareFormSet:
    initial = []
    if deal is not None:
        initial = [
            {"user": s.user_id, "share": money.from_minor(s.share_bp)} for s in deal.shares.all()
        ]
    people = writable_people(user)
    if deal is not None:
        # People already credited stay choosable even if outside the user's scope.
        people = (
            people | User.objects.filter(pk__in=[s.user_id for s in deal.shares.all()])
        ).distinct()
    formset = ShareFormSet(data, initial=initial, prefix="shares", people=people)
    if data is None:
        formset.extra = max(rows - len(initial), 1)
    return formset


class OrderForm(FactForm, MoneyFields):
    customer = FactChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(), required=False
    )
    deal = FactChoiceField(label=_("Deal"), queryset=Deal.objects.none(), required=False)
    number = forms.CharField(label=_("Order number"), max_length=80, required=False)
    order_date = forms.DateField(label=_("Order date"), widget=DATE_INPUT)

    related = {"customer": Customer, "deal": Deal}
    field_order = ["number", "order_date", "customer", "deal", "owner", "amount", "currency"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("order_date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["customer"].empty_label = _("— the deal's customer —")
        self.fields["deal"].empty_label = _("— no deal —")


class PaymentForm(FactForm, MoneyFields):
    customer = FactChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(), required=False
    )
    order = FactChoiceField(label=_("Sales order"), queryset=Order.objects.none(), required=False)
    reference = forms.CharField(label=_("Reference"), max_length=80, required=False)
    payment_date = forms.DateField(label=_("Payment date"), widget=DATE_INPUT)

    related = {"customer": Customer, "order": Order}
    field_order = ["payment_date", "customer", "order", "owner", "amount", "currency"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("payment_date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["customer"].empty_label = _("— the order's customer —")
        self.fields["order"].empty_label = _("— no order —")


class DealCloseForm(forms.Form):
    close_date = forms.DateField(label=_("Close date"), widget=DATE_INPUT, required=False)


FORMS: dict[type[Model], type[FactForm]] = {
    Customer: CustomerForm,
    Lead: LeadForm,
    Deal: DealForm,
    Order: OrderForm,
    Payment: PaymentForm,
    Activity: ActivityForm,
}


def initial_for(fact: Fact) -> dict[str, Any]:
    """A form's initial values for editing a fact."""
    if isinstance(fact, Deal):
        return DealForm.initial_for(fact)
    values: dict[str, Any] = {"owner": fact.owner_id}
    form_class = FORMS[type(fact)]
    for name in form_class.base_fields:
        if name in ("owner",) or name in values:
            continue
        if name == "amount":
            values[name] = money.from_minor(fact.original_amount_minor)
        elif name == "exchange_rate":
            values[name] = None if fact.exchange_rate == 1 else fact.exchange_rate
        elif name in form_class.related:
            values[name] = getattr(fact, f"{name}_id")
        else:
            values[name] = getattr(fact, name)
    return values
