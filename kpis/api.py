"""customers/, leads/, deals/, orders/, payments/, activities/: sales facts through the API.

Lists hold what `kpis.selectors` lets the user see (rep: own; manager: subtree; executive and
admin: all) and accept `?owner=&org_unit=&date_from=&date_to=&status=&search=` (plus
`source`, `customer`, and `type` for activities). A detail outside the scope is 403, an unknown
or deleted id 404. Writes go through `kpis.services` with `by=` the caller, so a rep writes only
their own facts, a manager within their subtree, executives and admins anywhere; DELETE is a
soft delete. Money is a decimal string in the base currency (`amount`), with the original
amount, currency and rate beside it. Every list exports with `?format=csv|xlsx`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from kpis import selectors, services
from kpis.forms import FILTERSETS
from kpis.models import Activity, Customer, Deal, DealShare, Fact, Lead, Order, Payment, Source
from salesgoals import money
from salesgoals.api.base import ExportMixin, bad_request
from salesgoals.api.schema import DECIMAL_STRING
from salesgoals.models import User

EXPORT_FORMATS = ("csv", "xlsx")


# --- Fields -----------------------------------------------------------------------------


@extend_schema_field(DECIMAL_STRING)
class MinorUnitsField(serializers.Field):
    """Integer minor units rendered as a decimal string: 123456 → "1234.56"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: int) -> str:
        return str(money.from_minor(value))


@extend_schema_field(OpenApiTypes.INT)
class ScopedFactField(serializers.PrimaryKeyRelatedField):
    """A related fact (customer, deal, order) the caller can see; others are "not found"."""

    def __init__(self, model: type[Fact], **kwargs: Any) -> None:
        self.fact_model = model
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        if request is None:
            return self.fact_model.objects.none()
        return selectors.facts_visible(request.user, self.fact_model)


# --- Output serializers -------------------------------------------------------------------


class FactOut(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.display", read_only=True)
    org_unit_name = serializers.CharField(
        source="org_unit.name",
        read_only=True,
        help_text="The owner's unit as of the fact's date.",
    )

    common: ClassVar[list[str]] = [
        "id",
        "source",
        "external_id",
        "owner",
        "owner_name",
        "org_unit",
        "org_unit_name",
    ]


class MoneyOut(serializers.Serializer):
    amount = MinorUnitsField(
        source="amount_minor", help_text="In the base currency, as a decimal string."
    )
    original_amount = MinorUnitsField(
        source="original_amount_minor", help_text="In `currency`, before conversion."
    )
    exchange_rate = serializers.DecimalField(
        max_digits=18,
        decimal_places=8,
        read_only=True,
        help_text="Base-currency units per unit of `currency`.",
    )

    money_fields: ClassVar[list[str]] = ["amount", "currency", "original_amount", "exchange_rate"]


def _name_of(source: str) -> serializers.CharField:
    return serializers.CharField(source=source, read_only=True, allow_null=True, default=None)


@extend_schema_serializer(component_name="Customer")
class CustomerOut(FactOut):
    class Meta:
        model = Customer
        fields = [*FactOut.common, "name", "industry", "city", "created_date", "updated_at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="Lead")
class LeadOut(FactOut):
    customer_name = _name_of("customer.name")

    class Meta:
        model = Lead
        fields = [
            *FactOut.common,
            "name",
            "company",
            "status",
            "created_date",
            "converted_date",
            "customer",
            "customer_name",
            "updated_at",
        ]
        read_only_fields = fields


class ShareOut(serializers.ModelSerializer):
    user_name = serializers.CharField(source="user.display", read_only=True)
    share = serializers.SerializerMethodField(help_text='Percent as a decimal string, "60.00".')

    class Meta:
        model = DealShare
        fields = ["user", "user_name", "org_unit", "share"]
        read_only_fields = fields

    @extend_schema_field(DECIMAL_STRING)
    def get_share(self, share: DealShare) -> str:
        return str(money.from_minor(share.share_bp))


@extend_schema_serializer(component_name="Deal")
class DealOut(FactOut, MoneyOut):
    customer_name = _name_of("customer.name")
    shares = ShareOut(many=True, read_only=True)

    class Meta:
        model = Deal
        fields = [
            *FactOut.common,
            "name",
            "customer",
            "customer_name",
            "stage",
            "status",
            "probability",
            "created_date",
            "close_date",
            *MoneyOut.money_fields,
            "shares",
            "updated_at",
        ]
        read_only_fields = fields


class DealExport(DealOut):
    """Deals in a spreadsheet: credit shares as one text column."""

    shares = serializers.SerializerMethodField()

    class Meta(DealOut.Meta):
        pass

    def get_shares(self, deal: Deal) -> str:
        return "; ".join(
            f"{s.user.display} {money.from_minor(s.share_bp)}%" for s in deal.shares.all()
        )


@extend_schema_serializer(component_name="Order")
class OrderOut(FactOut, MoneyOut):
    customer_name = _name_of("customer.name")
    deal_name = _name_of("deal.name")

    class Meta:
        model = Order
        fields = [
            *FactOut.common,
            "number",
            "order_date",
            "customer",
            "customer_name",
            "deal",
            "deal_name",
            *MoneyOut.money_fields,
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="Payment")
class PaymentOut(FactOut, MoneyOut):
    customer_name = _name_of("customer.name")
    order_number = _name_of("order.number")

    class Meta:
        model = Payment
        fields = [
            *FactOut.common,
            "reference",
            "payment_date",
            "customer",
            "customer_name",
            "order",
            "order_number",
            *MoneyOut.money_fields,
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="Activity")
class ActivityOut(FactOut):
    type = serializers.ChoiceField(
        source="kind", choices=Activity.Kind.choices, read_only=True, help_text="call, visit …"
    )
    customer_name = _name_of("customer.name")
    deal_name = _name_of("deal.name")

    class Meta:
        model = Activity
        fields = [
            *FactOut.common,
            "type",
            "activity_date",
            "subject",
            "notes",
            "customer",
            "customer_name",
            "deal",
            "deal_name",
            "updated_at",
        ]
        read_only_fields = fields


# --- Input serializers --------------------------------------------------------------------


class FactIn(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=Source.choices,
        required=False,
        help_text="Set on create (default `manual`); re-posting the same source and external id "
        "updates that fact. Cannot change later.",
    )
    external_id = serializers.CharField(
        max_length=80,
        required=False,
        allow_blank=True,
        help_text="The id in the source system; manual entries get `manual-<uuid>`.",
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        help_text="Defaults to you. Reps log only their own facts; managers within their subtree.",
    )


class MoneyIn(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=15, decimal_places=2, min_value=Decimal(0))
    currency = serializers.CharField(
        max_length=3, min_length=3, required=False, help_text="Defaults to the base currency."
    )
    exchange_rate = serializers.DecimalField(
        max_digits=18,
        decimal_places=8,
        required=False,
        allow_null=True,
        help_text="Base-currency units per unit of `currency`; required for other currencies.",
    )


@extend_schema_serializer(component_name="Customer")
class CustomerIn(FactIn):
    name = serializers.CharField(max_length=200)
    industry = serializers.CharField(max_length=80, required=False, allow_blank=True)
    city = serializers.CharField(max_length=80, required=False, allow_blank=True)
    created_date = serializers.DateField()


@extend_schema_serializer(component_name="Lead")
class LeadIn(FactIn):
    name = serializers.CharField(max_length=200)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Lead.Status.choices, required=False)
    created_date = serializers.DateField()
    converted_date = serializers.DateField(required=False, allow_null=True)
    customer = ScopedFactField(Customer)


class ShareIn(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    share = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
        help_text='Percent of the credit, e.g. "60.00"; all shares add up to 100.',
    )


@extend_schema_serializer(component_name="Deal")
class DealIn(FactIn, MoneyIn):
    name = serializers.CharField(max_length=200)
    customer = ScopedFactField(Customer)
    stage = serializers.CharField(max_length=80, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Deal.Status.choices, required=False)
    probability = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True
    )
    created_date = serializers.DateField()
    close_date = serializers.DateField(help_text="Expected while open.")
    shares = ShareIn(
        many=True,
        required=False,
        allow_null=True,
        help_text="Credit shares adding up to 100%; default: the owner 100%. Left out on "
        "update: kept.",
    )


@extend_schema_serializer(component_name="Order")
class OrderIn(FactIn, MoneyIn):
    number = serializers.CharField(max_length=80, required=False, allow_blank=True)
    order_date = serializers.DateField()
    customer = ScopedFactField(Customer, help_text="Defaults to the deal's customer.")
    deal = ScopedFactField(Deal)


@extend_schema_serializer(component_name="Payment")
class PaymentIn(FactIn, MoneyIn):
    reference = serializers.CharField(max_length=80, required=False, allow_blank=True)
    payment_date = serializers.DateField()
    customer = ScopedFactField(Customer, help_text="Defaults to the order's customer.")
    order = ScopedFactField(Order)


@extend_schema_serializer(component_name="Activity")
class ActivityIn(FactIn):
    type = serializers.ChoiceField(
        source="kind", choices=Activity.Kind.choices, required=False, help_text="Default: call."
    )
    activity_date = serializers.DateField()
    subject = serializers.CharField(max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True)
    customer = ScopedFactField(Customer)
    deal = ScopedFactField(Deal)


class DealCloseIn(serializers.Serializer):
    close_date = serializers.DateField(
        required=False, help_text="Default: today (or the close date of a closed deal)."
    )


# --- Current values for partial updates ---------------------------------------------------


def _merged(fact: Fact, fields: list[str], changes: dict[str, Any]) -> dict[str, Any]:
    """A PATCH: the fact's current values (by service argument name) with the sent ones on top."""
    values: dict[str, Any] = {}
    for name in fields:
        if name == "amount":
            values[name] = money.from_minor(fact.original_amount_minor)
        elif name != "shares":  # left out = kept by the service
            values[name] = getattr(fact, name)
    # A new currency needs its own rate; a new status its own default probability.
    if "currency" in changes and "exchange_rate" not in changes:
        values["exchange_rate"] = None
    if "status" in changes and "probability" not in changes and "probability" in values:
        values["probability"] = None
    return {**values, **changes}


# --- Viewsets -----------------------------------------------------------------------------


class FactPermission(permissions.IsAuthenticated):
    """Reads need `selectors.fact_can_view`, writes `selectors.fact_can_edit` (else 403)."""

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return selectors.fact_can_view(request.user, obj)
        return selectors.fact_can_edit(request.user, obj)


class FactViewSet(
    ExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    model: ClassVar[type[Fact]]
    output: ClassVar[type[serializers.Serializer]]
    export: ClassVar[type[serializers.Serializer] | None] = None
    write: ClassVar[type[serializers.Serializer]]
    upsert: ClassVar[Any]
    permission_classes = [FactPermission]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet:
        if self.action == "list":
            return selectors.fact_list(user=self.request.user, model=self.model)
        # Details look at every live fact so that out-of-scope is 403, not 404.
        return selectors.fact_detail_queryset(self.model)

    def _exporting(self) -> bool:
        renderer = getattr(getattr(self, "request", None), "accepted_renderer", None)
        return getattr(renderer, "format", None) in EXPORT_FORMATS

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.export is not None and self._exporting():
            return self.export
        return self.output

    def _fresh(self, fact: Fact) -> Any:
        fact = selectors.fact_detail_queryset(self.model).get(pk=fact.pk)
        return self.output(fact, context=self.get_serializer_context()).data

    def _save(self, values: dict[str, Any]) -> Fact:
        values.setdefault("owner", self.request.user)
        if "shares" in values and values["shares"] is not None:
            values["shares"] = [(s["user"], int(s["share"] * 100)) for s in values["shares"]]
        try:
            return type(self).upsert(**values, by=self.request.user)
        except DjangoValidationError as error:
            raise bad_request(error) from error

    def create(self, request: Request) -> Response:
        data = self.write(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.setdefault("source", Source.MANUAL)
        if not values.get("external_id"):
            values.pop("external_id", None)
        existed = bool(values.get("external_id")) and (
            self.model.objects.filter(
                source=values["source"], external_id=values["external_id"]
            ).exists()
        )
        fact = self._save(values)
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(self._fresh(fact), status=code)

    def _update(self, request: Request, partial: bool) -> Response:
        fact = self.get_object()
        data = self.write(data=request.data, partial=partial, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        for key in ("source", "external_id"):
            if key in changes and changes.pop(key) != getattr(fact, key):
                raise ValidationError(
                    {key: [_("The source and external id of a fact cannot be changed.")]}
                )
        if partial:
            values = _merged(fact, [f.source for f in self.write().fields.values()], changes)
        else:
            values = {"owner": fact.owner, **changes}
        values.update(source=fact.source, external_id=fact.external_id)
        return Response(self._fresh(self._save(values)))

    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=False)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=True)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        fact = self.get_object()
        services.fact_soft_delete(fact=fact, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _schema(name: str, plural: str, out: type, write: type) -> Any:
    export = "Add `?format=csv` or `?format=xlsx` to export every row in scope."
    return extend_schema_view(
        list=extend_schema(summary=f"{plural} in your scope", description=export),
        retrieve=extend_schema(summary=f"One {name} (403 outside your scope)"),
        create=extend_schema(
            summary=f"Record a {name}",
            description="Re-posting an existing (source, external_id) updates it (200).",
            request=write,
            responses={201: out, 200: out},
        ),
        update=extend_schema(summary=f"Replace a {name}", request=write, responses={200: out}),
        partial_update=extend_schema(
            summary=f"Change a {name}", request=write, responses={200: out}
        ),
        destroy=extend_schema(summary=f"Delete a {name} (soft delete)", responses={204: None}),
    )


@_schema("customer", "Customers", CustomerOut, CustomerIn)
class CustomerViewSet(FactViewSet):
    model = Customer
    filterset_class = FILTERSETS[Customer]
    output = CustomerOut
    write = CustomerIn
    upsert = staticmethod(services.customer_upsert)


@_schema("lead", "Leads", LeadOut, LeadIn)
class LeadViewSet(FactViewSet):
    model = Lead
    filterset_class = FILTERSETS[Lead]
    output = LeadOut
    write = LeadIn
    upsert = staticmethod(services.lead_upsert)


@_schema("deal", "Deals", DealOut, DealIn)
class DealViewSet(FactViewSet):
    model = Deal
    filterset_class = FILTERSETS[Deal]
    output = DealOut
    export = DealExport
    write = DealIn
    upsert = staticmethod(services.deal_upsert)

    def _close(self, request: Request, mark: Any) -> Response:
        deal = self.get_object()
        data = DealCloseIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            deal = mark(deal=deal, by=request.user, **data.validated_data)
        except DjangoValidationError as error:
            raise bad_request(error) from error
        return Response(self._fresh(deal))

    @extend_schema(summary="Mark the deal won", request=DealCloseIn, responses={200: DealOut})
    @action(detail=True, methods=["post"])
    def won(self, request: Request, pk: str | None = None) -> Response:
        return self._close(request, services.deal_mark_won)

    @extend_schema(summary="Mark the deal lost", request=DealCloseIn, responses={200: DealOut})
    @action(detail=True, methods=["post"])
    def lost(self, request: Request, pk: str | None = None) -> Response:
        return self._close(request, services.deal_mark_lost)


@_schema("sales order", "Sales orders", OrderOut, OrderIn)
class OrderViewSet(FactViewSet):
    model = Order
    filterset_class = FILTERSETS[Order]
    output = OrderOut
    write = OrderIn
    upsert = staticmethod(services.order_upsert)


@_schema("payment", "Payments collected", PaymentOut, PaymentIn)
class PaymentViewSet(FactViewSet):
    model = Payment
    filterset_class = FILTERSETS[Payment]
    output = PaymentOut
    write = PaymentIn
    upsert = staticmethod(services.payment_upsert)


@_schema("activity", "Activities", ActivityOut, ActivityIn)
class ActivityViewSet(FactViewSet):
    model = Activity
    filterset_class = FILTERSETS[Activity]
    output = ActivityOut
    write = ActivityIn
    upsert = staticmethod(services.activity_upsert)


VIEWSETS: dict[str, tuple[type[FactViewSet], str]] = {
    "customers": (CustomerViewSet, "api-customer"),
    "leads": (LeadViewSet, "api-lead"),
    "deals": (DealViewSet, "api-deal"),
    "orders": (OrderViewSet, "api-order"),
    "payments": (PaymentViewSet, "api-payment"),
    "activities": (ActivityViewSet, "api-activity"),
}


def register(router: Any) -> None:
    for prefix, (viewset, basename) in VIEWSETS.items():
        router.register(prefix, viewset, basename=basename)


def api_list_name(model: type[Model]) -> str:
    """URL name of a fact list endpoint, e.g. for the pages' export links."""
    return next(f"{b}-list" for v, b in VIEWSETS.values() if v.model is model)
