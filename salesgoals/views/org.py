"""Org tree and people pages.

Everyone signed in reads within `salesgoals.scope`; only admins change the organisation
(any other POST is 403). Unit forms work as plain POST → redirect, and with htmx they
re-render just the unit panel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from salesgoals import scope, services
from salesgoals.forms import (
    MemberMoveForm,
    OrgUnitCreateForm,
    OrgUnitEditForm,
    OrgUnitManagerForm,
    OrgUnitMoveForm,
    UserCreateForm,
    UserFilterSet,
    UserForm,
    apply_service_error,
)
from salesgoals.models import OrgUnit, User
from salesgoals.selectors import org_units_annotated

PEOPLE_PER_PAGE = 50
INLINE_PEOPLE_LIMIT = 300


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else login redirect) and an admin (else 403): org config is admin-only."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not scope.is_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _visible_unit(request: HttpRequest, pk: int) -> OrgUnit:
    unit = get_object_or_404(OrgUnit.objects.select_related("manager"), pk=pk)
    if not scope.can_view(request.user, unit):
        raise PermissionDenied
    return unit


def _visible_person(request: HttpRequest, pk: int) -> User:
    person = get_object_or_404(User.objects.select_related("org_unit"), pk=pk)
    if not scope.can_view(request.user, person):
        raise PermissionDenied
    return person


# --- Org tree -----------------------------------------------------------------------------


@dataclass
class TreeRow:
    """One unit of the rendered tree, in display order (see org_tree.html)."""

    unit: OrgUnit
    level: int
    people: list[User] = field(default_factory=list)
    children: list[TreeRow] = field(default_factory=list)
    closes: str = ""
    url: str = ""
    summary: str = ""
    people_label: str = ""
    kind_label: str = ""


def build_tree(
    units: list[OrgUnit], people: list[User], *, lazy_people: bool = False
) -> list[TreeRow]:
    """Nest units (one query, any order) by path; children sorted by name.

    With `lazy_people` the names are not given; the head count comes from the units'
    `member_count` annotation.

    Returns the rows depth-first with `closes` = the markup that ends each row (its own
    item, or the opening of its children's list, plus the ancestor levels ending there),
    so the template renders nested lists without recursive includes.
    """
    nodes = {u.path: TreeRow(unit=u, level=0) for u in units}
    by_unit: dict[int, TreeRow] = {row.unit.pk: row for row in nodes.values()}
    for person in people:
        if person.org_unit_id in by_unit:
            by_unit[person.org_unit_id].people.append(person)
    roots: list[TreeRow] = []
    for unit_path, row in nodes.items():
        parent = nodes.get(unit_path[: -OrgUnit.steplen])
        (parent.children if parent else roots).append(row)
    flat: list[TreeRow] = []

    def walk(rows: list[TreeRow], level: int) -> None:
        for row in sorted(rows, key=lambda r: (r.unit.name.casefold(), r.unit.pk)):
            row.level = level
            flat.append(row)
            walk(row.children, level + 1)

    walk(roots, 0)
    # Labels and links are made here, not with {% url %} / {% blocktranslate %} per row:
    # that is what kept a tree of hundreds of units slow.
    units_base = reverse("org-tree") + "units/"
    kinds = {kind: str(label) for kind, label in OrgUnit.Kind.choices}
    for index, row in enumerate(flat):
        next_level = flat[index + 1].level if index + 1 < len(flat) else 0
        # A unit with children opens a list that its last descendant closes; a leaf closes
        # itself. Constant markup, so the template needs no loop per row.
        row.closes = ("<ul>" if row.children else "</details></li>") + (
            "</ul></details></li>" * max(row.level - next_level, 0)
        )
        row.url = f"{units_base}{row.unit.pk}/"
        row.summary = _unit_summary(row.unit)
        row.kind_label = kinds.get(row.unit.kind, row.unit.kind)
        count = getattr(row.unit, "member_count", 0) if lazy_people else len(row.people)
        row.people_label = ngettext(
            "%(n)s person in this unit", "%(n)s people in this unit", count
        ) % {"n": count}
    return flat


def _unit_summary(unit: OrgUnit) -> str:
    manager = (
        _("manager: %(name)s") % {"name": unit.manager.display}
        if unit.manager_id
        else _("no manager")
    )
    reps = getattr(unit, "rep_count", 0)
    return f"{manager} · " + ngettext("%(n)s rep", "%(n)s reps", reps) % {"n": reps}


@login_required
def org_tree(request: HttpRequest) -> HttpResponse:
    user = request.user
    units = list(org_units_annotated(scope.visible_units(user)))
    people = list(
        scope.visible_users(user)
        .filter(is_active=True)
        .only("pk", "username", "display_name", "first_name", "last_name", "role", "org_unit_id")
        .order_by("display_name", "username")[: INLINE_PEOPLE_LIMIT + 1]
    )
    # A big company's names would make the page heavy: then each unit loads its own list
    # when opened (htmx), or links to the people page without JavaScript.
    inline_people = len(people) <= INLINE_PEOPLE_LIMIT
    context = {
        "rows": build_tree(units, people if inline_people else [], lazy_people=not inline_people),
        "inline_people": inline_people,
        "people_base": reverse("user-list"),
        "is_admin": scope.is_admin(user),
        "create_form": OrgUnitCreateForm(prefix="add") if scope.is_admin(user) else None,
    }
    return render(request, "salesgoals/org_tree.html", context)


@login_required
def org_unit_people(request: HttpRequest, pk: int) -> HttpResponse:
    """The active people of one unit, for the tree's lazily opened lists."""
    unit = _visible_unit(request, pk)
    if not request.htmx:
        query = urlencode({"org_unit": unit.pk, "subtree": "false", "is_active": "true"})
        return redirect(f"{reverse('user-list')}?{query}")
    people = (
        scope.visible_users(request.user)
        .filter(org_unit=unit, is_active=True)
        .order_by("display_name", "username")
    )
    return render(request, "salesgoals/org_unit_people.html", {"people": people})


# --- One unit -----------------------------------------------------------------------------


def _unit_context(request: HttpRequest, unit: OrgUnit, **bound: Any) -> dict[str, Any]:
    user = request.user
    visible = scope.visible_units(user)
    context: dict[str, Any] = {
        "unit": unit,
        "ancestors": list(OrgUnit.objects.get_ancestors(unit).filter(pk__in=visible.values("pk"))),
        "children": list(
            org_units_annotated(visible).filter(path__startswith=unit.path, depth=unit.depth + 1)
        ),
        "members": list(
            scope.visible_users(user).filter(org_unit=unit).order_by("display_name", "username")
        ),
        "is_admin": scope.is_admin(user),
    }
    if context["is_admin"]:
        context["forms"] = {
            "edit": bound.get("edit") or OrgUnitEditForm.for_unit(unit),
            "add": bound.get("add") or OrgUnitCreateForm(prefix="add"),
            "move": bound.get("move") or OrgUnitMoveForm(unit=unit),
            "manager": bound.get("manager")
            or OrgUnitManagerForm(initial={"manager": unit.manager_id}),
            "member": bound.get("member") or MemberMoveForm(unit=unit),
        }
        context["can_delete"] = (
            not unit.is_root()
            and not unit.numchild
            and not any(m.org_unit_id == unit.pk for m in context["members"])
        )
    return context


def _render_unit(request: HttpRequest, unit: OrgUnit, **bound: Any) -> HttpResponse:
    context = _unit_context(request, unit, **bound)
    if request.htmx:
        return render(request, "salesgoals/org_unit_panel.html", context)
    return render(request, "salesgoals/org_unit_detail.html", context)


def _after_change(request: HttpRequest, unit: OrgUnit, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        unit = OrgUnit.objects.select_related("manager").get(pk=unit.pk)
        return _render_unit(request, unit)
    return redirect("org-unit-detail", pk=unit.pk)


@login_required
def org_unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_unit(request, _visible_unit(request, pk))


@admin_required
def org_unit_create(request: HttpRequest) -> HttpResponse:
    """Add a unit: a page of its own (GET), and the target of the tree's and panel's forms."""
    initial = {}
    if request.GET.get("parent", "").isdigit():
        initial["parent"] = int(request.GET["parent"])
    form = OrgUnitCreateForm(request.POST or None, prefix="add", initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.org_unit_create(**form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Unit “%(name)s” added.") % {"name": unit.name})
            if request.htmx:
                return HttpResponseClientRedirect(reverse("org-unit-detail", args=[unit.pk]))
            return redirect("org-unit-detail", pk=unit.pk)
    return render(request, "salesgoals/org_unit_form.html", {"form": form})


@admin_required
@require_POST
def org_unit_update(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(OrgUnit, pk=pk)
    form = OrgUnitEditForm.for_unit(unit, request.POST)
    if form.is_valid():
        try:
            unit = services.org_unit_update(unit=unit, **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return _after_change(request, unit, _("Unit saved."))
    return _render_unit(request, unit, edit=form)


@admin_required
@require_POST
def org_unit_add_child(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(OrgUnit, pk=pk)
    data = request.POST.copy()
    data["add-parent"] = str(unit.pk)
    form = OrgUnitCreateForm(data, prefix="add")
    if form.is_valid():
        try:
            child = services.org_unit_create(**form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return _after_change(request, unit, _("Unit “%(name)s” added.") % {"name": child.name})
    return _render_unit(request, unit, add=form)


@admin_required
@require_POST
def org_unit_move(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(OrgUnit, pk=pk)
    form = OrgUnitMoveForm(request.POST, unit=unit)
    if form.is_valid():
        try:
            unit = services.org_unit_move(unit=unit, new_parent=form.cleaned_data["parent"])
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return _after_change(
                request,
                unit,
                _("Unit moved under “%(parent)s”.") % {"parent": form.cleaned_data["parent"]},
            )
    return _render_unit(request, unit, move=form)


@admin_required
@require_POST
def org_unit_manager(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(OrgUnit, pk=pk)
    form = OrgUnitManagerForm(request.POST)
    if form.is_valid():
        try:
            unit = services.org_unit_set_manager(unit=unit, manager=form.cleaned_data["manager"])
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return _after_change(request, unit, _("Manager saved."))
    return _render_unit(request, unit, manager=form)


@admin_required
@require_POST
def org_unit_move_member(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(OrgUnit, pk=pk)
    form = MemberMoveForm(request.POST, unit=unit)
    if form.is_valid():
        person, target = form.cleaned_data["person"], form.cleaned_data["org_unit"]
        try:
            services.user_move(user=person, org_unit=target)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return _after_change(
                request,
                unit,
                _("%(person)s moved to “%(unit)s”.") % {"person": person.display, "unit": target},
            )
    return _render_unit(request, unit, member=form)


@admin_required
@require_POST
def org_unit_delete(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(OrgUnit, pk=pk)
    parent = OrgUnit.objects.get_parent(unit)
    try:
        services.org_unit_delete(unit=unit)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        if request.htmx:
            return _render_unit(request, unit)
        return redirect("org-unit-detail", pk=unit.pk)
    messages.success(request, _("Unit “%(name)s” deleted.") % {"name": unit.name})
    target = reverse("org-unit-detail", args=[parent.pk]) if parent else reverse("org-tree")
    if request.htmx:
        return HttpResponseClientRedirect(target)
    return redirect(target)


# --- People -------------------------------------------------------------------------------


def people_filter(request: HttpRequest) -> UserFilterSet:
    queryset: QuerySet[User] = (
        scope.visible_users(request.user)
        .select_related("org_unit")
        .order_by("display_name", "username", "pk")
    )
    filterset = UserFilterSet(request.GET or None, queryset=queryset, request=request)
    filterset.limit_units_to_scope(request.user)
    return filterset


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    filterset = people_filter(request)
    people = filterset.qs
    if filterset.is_bound and not filterset.is_valid():
        people = people.none()
    page = Paginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    query = {k: v for k, v in request.GET.items() if k not in ("page", "format") and v}
    exports = {
        fmt: f"{reverse('api-user-list')}?{urlencode({**query, 'format': fmt})}"
        for fmt in ("csv", "xlsx")
    }
    context = {
        "filter": filterset,
        "page": page,
        "exports": exports,
        "is_admin": scope.is_admin(request.user),
    }
    return render(request, "salesgoals/user_list.html", context)


@login_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _visible_person(request, pk)
    context = {
        "person": person,
        "managed_units": list(scope.visible_units(request.user).filter(manager=person)),
        "is_admin": scope.is_admin(request.user),
    }
    return render(request, "salesgoals/user_detail.html", context)


@admin_required
def user_create(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("org_unit", "").isdigit():
        initial["org_unit"] = int(request.GET["org_unit"])
    form = UserCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.user_create(**form.service_kwargs())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("%(person)s added.") % {"person": person.display})
            return redirect("user-detail", pk=person.pk)
    return render(request, "salesgoals/user_form.html", {"form": form, "person": None})


@admin_required
def user_update(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User.objects.select_related("org_unit"), pk=pk)
    form = UserForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            # The form has already written its values onto `person`; the service compares
            # against the stored row (e.g. "was a manager"), so it gets a fresh copy.
            services.user_update(user=User.objects.get(pk=pk), by=request.user, **form.changes())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("user-detail", pk=pk)
    return render(request, "salesgoals/user_form.html", {"form": form, "person": person})


urlpatterns = [
    path("", org_tree, name="org-tree"),
    path("units/new/", org_unit_create, name="org-unit-create"),
    path("units/<int:pk>/", org_unit_detail, name="org-unit-detail"),
    path("units/<int:pk>/people/", org_unit_people, name="org-unit-people"),
    path("units/<int:pk>/edit/", org_unit_update, name="org-unit-update"),
    path("units/<int:pk>/add/", org_unit_add_child, name="org-unit-add-child"),
    path("units/<int:pk>/move/", org_unit_move, name="org-unit-move"),
    path("units/<int:pk>/manager/", org_unit_manager, name="org-unit-manager"),
    path("units/<int:pk>/move-member/", org_unit_move_member, name="org-unit-move-member"),
    path("units/<int:pk>/delete/", org_unit_delete, name="org-unit-delete"),
    path("users/", user_list, name="user-list"),
    path("users/new/", user_create, name="user-create"),
    path("users/<int:pk>/", user_detail, name="user-detail"),
    path("users/<int:pk>/edit/", user_update, name="user-update"),
]
