"""Indexed views of the period tree and the owner tree (validated once, then list-based).

Periods get a canonical order: the year, its quarters, then the months quarter by quarter,
then the weeks month by month; the children of a period are ordered by id (so ties go to the
earlier period). Every period's children are then one contiguous index range, and an owner's
values are one list in this order.
"""

from __future__ import annotations

from collections.abc import Sequence

from .types import OwnerKey, OwnerNode, PeriodNode

_CHILD_KIND = {"year": "quarter", "quarter": "month", "month": "week"}


class PeriodTree:
    """year ⊃ quarters ⊃ months ⊃ weeks, validated, in canonical index order."""

    __slots__ = (
        "child_range",
        "ids",
        "index",
        "kinds",
        "parent",
        "parents",
        "size",
        "week_start",
        "week_wd",
    )

    def __init__(self, periods: Sequence[PeriodNode]) -> None:
        by_id: dict[int, PeriodNode] = {}
        children: dict[int, list[int]] = {}
        years = []
        for p in periods:
            if p.id in by_id:
                raise ValueError(f"period {p.id} appears twice")
            if p.kind not in ("year", "quarter", "month", "week"):
                raise ValueError(f"period {p.id} has an unknown kind {p.kind!r}")
            if p.working_days < 0:
                raise ValueError(f"period {p.id} has negative working days")
            by_id[p.id] = p
            if p.kind == "year":
                years.append(p.id)
        if len(years) != 1:
            raise ValueError(f"expected exactly one year, got {len(years)}")
        for p in periods:
            if p.kind == "year":
                if p.parent is not None:
                    raise ValueError(f"year {p.id} must not have a parent")
                continue
            parent = by_id.get(p.parent) if p.parent is not None else None
            if parent is None or _CHILD_KIND.get(parent.kind) != p.kind:
                raise ValueError(f"{p.kind} {p.id} has no valid parent")
            children.setdefault(parent.id, []).append(p.id)
        order = [years[0]]
        level = [years[0]]
        while level:  # breadth-first: each level's children in parent order, then by id
            nxt = []
            for pid in level:
                kids = sorted(children.get(pid, []))
                if not kids and by_id[pid].kind != "week":
                    raise ValueError(f"{by_id[pid].kind} {pid} has no child periods")
                nxt.extend(kids)
            order.extend(nxt)
            level = nxt
        self.ids: list[int] = order
        self.size = len(order)
        self.index: dict[int, int] = {pid: i for i, pid in enumerate(order)}
        self.kinds: list[str] = [by_id[pid].kind for pid in order]
        self.parent: list[int] = [
            -1 if by_id[pid].parent is None else self.index[by_id[pid].parent]  # type: ignore[index]
            for pid in order
        ]
        ranges: list[tuple[int, int]] = []
        for pid in order:
            kids_of = children.get(pid)
            if kids_of:
                lo = self.index[min(kids_of)]
                ranges.append((lo, lo + len(kids_of)))
            else:
                ranges.append((0, 0))
        self.child_range: list[tuple[int, int]] = ranges
        self.parents: list[int] = [i for i in range(self.size) if ranges[i][1]]
        self.week_start = self.kinds.index("week")
        self.week_wd: list[int] = [by_id[pid].working_days for pid in order[self.week_start :]]

    def aggregate(self, weeks: Sequence[float | int]) -> list[float | int]:
        """A full canonical list from week values: every parent = Σ of its children."""
        full: list[float | int] = [0] * self.week_start
        full.extend(weeks)
        for p in reversed(self.parents):
            lo, hi = self.child_range[p]
            full[p] = sum(full[lo:hi])
        return full


class OwnerTree:
    """The owner tree: keys, parent / children by index, breadth-first order."""

    __slots__ = ("bfs", "children", "index", "keys", "parent", "root")

    def __init__(self, owners: Sequence[OwnerNode]) -> None:
        self.keys: list[OwnerKey] = [o.key for o in owners]
        self.index: dict[OwnerKey, int] = {}
        for i, key in enumerate(self.keys):
            if key in self.index:
                raise ValueError(f"owner {key} appears twice")
            self.index[key] = i
        self.children: list[list[int]] = [[] for _ in owners]
        self.parent: list[int] = [-1] * len(owners)
        roots = []
        for i, o in enumerate(owners):
            if o.parent is None:
                roots.append(i)
                continue
            p = self.index.get(o.parent)
            if p is None:
                raise ValueError(f"owner {o.key} has an unknown parent {o.parent}")
            self.parent[i] = p
            self.children[p].append(i)
        if len(roots) != 1:
            raise ValueError(f"expected exactly one root owner, got {len(roots)}")
        self.root = roots[0]
        self.bfs = self.subtree(self.root)
        if len(self.bfs) != len(owners):
            raise ValueError("the owners do not form a tree (a cycle or a detached part)")

    def subtree(self, top: int) -> list[int]:
        """`top` and all its descendants, breadth-first, siblings in list order."""
        out = [top]
        for o in out:  # grows while walked
            out.extend(self.children[o])
        return out
