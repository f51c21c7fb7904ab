"""factory_boy factories for the core models. Org units are built through the services."""

from __future__ import annotations

import datetime

import factory

from salesgoals import services
from salesgoals.models import OrgUnit, Role, User


def company() -> OrgUnit:
    root = OrgUnit.objects.get_root_nodes().first()
    return root or services.org_unit_create(name="Acme", parent=None, kind=OrgUnit.Kind.COMPANY)


def unit(name: str, parent: OrgUnit | None = None, kind: str = OrgUnit.Kind.TEAM) -> OrgUnit:
    return services.org_unit_create(name=name, parent=parent or company(), kind=kind)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"User {n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    role = Role.REP
    hire_date = datetime.date(2023, 1, 1)
    password = factory.PostGenerationMethodCall("set_password", "pw-Secret-123")

    @factory.post_generation
    def _staff(obj, create, extracted, **kwargs):
        if obj.role == Role.ADMIN:
            obj.is_staff = obj.is_superuser = True
        if create:
            obj.save()
