"""org-units/ and users/: the org tree and people, scoped by `salesgoals.scope`.

Lists contain what `scope.visible_units` / `scope.visible_users` allow; a detail outside
scope is 403, an unknown id 404. Org units and users are configuration, so every write is
admin-only and goes through `salesgoals.services.org`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from salesgoals import scope, services
from salesgoals.api.base import ExportMixin, ScopedObjectPermission, bad_request
from salesgoals.forms import OrgUnitFilterSet, UserFilterSet
from salesgoals.models import OrgUnit, Role, User
from salesgoals.selectors import org_units_annotated


class AdminWritesPermission(ScopedObjectPermission):
    """Reads within scope for anyone signed in; writes (org configuration) for admins only."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or scope.is_admin(request.user)


# --- Org units ---------------------------------------------------------------------------


class OrgUnitSerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(source="parent_pk", allow_null=True, read_only=True)
    manager_name = serializers.CharField(source="manager.display", allow_null=True, read_only=True)
    member_count = serializers.IntegerField(
        read_only=True, help_text="Active people whose home unit is this unit."
    )
    rep_count = serializers.IntegerField(
        read_only=True, help_text="Active sales reps whose home unit is this unit."
    )

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "name",
            "code",
            "kind",
            "parent",
            "manager",
            "manager_name",
            "path",
            "depth",
            "numchild",
            "is_active",
            "member_count",
            "rep_count",
        ]
        read_only_fields = fields


class OrgUnitCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    parent = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(),
        allow_null=True,
        help_text="The parent unit; null only for the company (the single root).",
    )
    kind = serializers.ChoiceField(choices=OrgUnit.Kind.choices, default=OrgUnit.Kind.TEAM)
    code = serializers.SlugField(max_length=40, required=False, allow_blank=True, allow_null=True)
    manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )


class OrgUnitUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    kind = serializers.ChoiceField(choices=OrgUnit.Kind.choices, required=False)
    code = serializers.SlugField(max_length=40, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    parent = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(),
        required=False,
        allow_null=True,
        help_text="Changing the parent moves the unit with its whole subtree.",
    )
    manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )


@extend_schema_view(
    list=extend_schema(
        summary="Org units in your scope",
        description="Add `?format=csv` or `?format=xlsx` to export every row in scope.",
    ),
    retrieve=extend_schema(summary="One org unit (403 outside your scope)"),
    create=extend_schema(
        summary="Add a unit (admins)",
        request=OrgUnitCreateSerializer,
        responses={201: OrgUnitSerializer},
    ),
    partial_update=extend_schema(
        summary="Rename, move (new parent), set manager, (de)activate (admins)",
        request=OrgUnitUpdateSerializer,
        responses={200: OrgUnitSerializer},
    ),
    destroy=extend_schema(
        summary="Delete an empty unit (admins); 400 if it has people or sub-units",
        responses={204: None},
    ),
)
class OrgUnitViewSet(
    ExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = OrgUnitSerializer
    permission_classes = [AdminWritesPermission]
    filterset_class = OrgUnitFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[OrgUnit]:
        # Details look at every unit so that out-of-scope is 403, not 404.
        if self.action == "list":
            base = scope.visible_units(self.request.user)
        else:
            base = OrgUnit.objects.all()
        return org_units_annotated(base)

    def _fresh(self, unit: OrgUnit) -> Any:
        unit = org_units_annotated(OrgUnit.objects.filter(pk=unit.pk)).get()
        return OrgUnitSerializer(unit, context=self.get_serializer_context()).data

    def create(self, request: Request) -> Response:
        data = OrgUnitCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            unit = services.org_unit_create(**data.validated_data)
        except DjangoValidationError as error:
            raise bad_request(error) from error
        return Response(self._fresh(unit), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        unit = self.get_object()
        data = OrgUnitUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            unit = services.org_unit_change(unit=unit, **data.validated_data)
        except DjangoValidationError as error:
            raise bad_request(error) from error
        return Response(self._fresh(unit))

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        unit = self.get_object()
        try:
            services.org_unit_delete(unit=unit)
        except DjangoValidationError as error:
            raise bad_request(error) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Users -------------------------------------------------------------------------------


class UserSerializer(serializers.ModelSerializer):
    display = serializers.CharField(
        read_only=True, help_text="Display name, else full name, else username."
    )
    org_unit_name = serializers.CharField(source="org_unit.name", allow_null=True, read_only=True)
    email = serializers.EmailField(read_only=True, allow_blank=True)  # "" when none

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "display",
            "first_name",
            "last_name",
            "role",
            "org_unit",
            "org_unit_name",
            "email",
            "is_active",
            "hire_date",
            "leave_date",
            "zoho_user_id",
            "fxiaoke_user_id",
        ]
        read_only_fields = fields


class UserUpdateSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    org_unit = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(), required=False, allow_null=True
    )
    hire_date = serializers.DateField(required=False, allow_null=True)
    leave_date = serializers.DateField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)
    zoho_user_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    fxiaoke_user_id = serializers.CharField(max_length=64, required=False, allow_blank=True)


class UserCreateSerializer(UserUpdateSerializer):
    username = serializers.CharField(max_length=150, validators=[User.username_validator])
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        style={"input_type": "password"},
        help_text="Optional; without it the account cannot log in until a password is set.",
    )
    role = serializers.ChoiceField(choices=Role.choices, default=Role.REP)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        password = attrs.get("password")
        if password:
            probe = User(
                username=attrs.get("username", ""),
                email=attrs.get("email", ""),
                first_name=attrs.get("first_name", ""),
                last_name=attrs.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password, probe)
            except DjangoValidationError as error:
                raise ValidationError({"password": error.messages}) from error
        return attrs


@extend_schema_view(
    list=extend_schema(
        summary="People in your scope",
        description=(
            "`?org_unit=<id>` matches people whose home unit is that unit or any unit below it;"
            " add `&subtree=false` for that unit exactly. Add `?format=csv` or `?format=xlsx`"
            " to export every row in scope."
        ),
    ),
    retrieve=extend_schema(summary="One person (403 outside your scope)"),
    create=extend_schema(
        summary="Add a person (admins)",
        request=UserCreateSerializer,
        responses={201: UserSerializer},
    ),
    partial_update=extend_schema(
        summary="Change role, unit, dates, CRM ids, active (admins)",
        request=UserUpdateSerializer,
        responses={200: UserSerializer},
    ),
)
class UserViewSet(
    ExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """People are never deleted (their facts and targets keep pointing at them): deactivate."""

    serializer_class = UserSerializer
    permission_classes = [AdminWritesPermission]
    filterset_class = UserFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[User]:
        if self.action == "list":
            base = scope.visible_users(self.request.user)
        else:
            base = User.objects.all()
        return base.select_related("org_unit").order_by("display_name", "username", "pk")

    def _fresh(self, user: User) -> Any:
        user = User.objects.select_related("org_unit").get(pk=user.pk)
        return UserSerializer(user, context=self.get_serializer_context()).data

    def create(self, request: Request) -> Response:
        data = UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["password"] = values.get("password") or None
        try:
            user = services.user_create(**values)
        except DjangoValidationError as error:
            raise bad_request(error) from error
        return Response(self._fresh(user), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        user = self.get_object()
        data = UserUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            user = services.user_update(user=user, by=request.user, **data.validated_data)
        except DjangoValidationError as error:
            raise bad_request(error) from error
        return Response(self._fresh(user))


def register(router: Any) -> None:
    # Explicit basenames: the pages own the URL names "user-list" and "org-tree".
    router.register("org-units", OrgUnitViewSet, basename="api-org-unit")
    router.register("users", UserViewSet, basename="api-user")
