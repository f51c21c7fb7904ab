"""Every URL pattern of the project, enumerated from `django.urls.get_resolver()`.

A route is keyed by its name (with namespace, e.g. ``kpis:deal-detail``); unnamed patterns
(admin redirects, treebeard helpers) are keyed by ``pattern:<full pattern>``. Several patterns
may share a key: DRF's format-suffix twin (``deals\\.(?P<format>…)``) and a name declared twice
(``login``). `test_authz_sweep.py` classifies every key and visits every pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

ACTION_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    key: str
    name: str | None
    pattern: str
    callback: Any

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/v1/")

    @property
    def format_suffix(self) -> bool:
        return "(?P<format>" in self.pattern or "<drf_format_suffix:format>" in self.pattern

    @property
    def api_methods(self) -> tuple[str, ...]:
        """HTTP methods a DRF view answers (viewset action map or APIView handlers)."""
        actions = getattr(self.callback, "actions", None)
        if actions:
            return tuple(m for m in ACTION_METHODS if m in actions)
        cls = getattr(self.callback, "cls", None)
        if cls is not None:
            return tuple(m for m in ACTION_METHODS if hasattr(cls, m))
        return ("get",)


def _walk(resolver: URLResolver, prefix: str, namespace: str | None):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = entry.name
            if name and namespace:
                name = f"{namespace}:{name}"
            pattern = prefix + str(entry.pattern)
            yield Route(
                key=name or f"pattern:{pattern}",
                name=name,
                pattern=pattern,
                callback=entry.callback,
            )


def all_routes() -> list[Route]:
    return list(_walk(get_resolver(), "", None))
