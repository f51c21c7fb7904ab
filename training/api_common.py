"""Shared helpers of the training API modules."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied

from salesgoals.api.base import bad_request


def run(fn, **kwargs: Any) -> Any:
    """Call a service: its ValidationError is the structured 400, PermissionDenied a 403."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as error:
        raise bad_request(error) from error
    except PermissionDenied as error:
        raise ApiPermissionDenied(str(error) or None) from error


def flag(value: str | None) -> bool:
    return value in ("1", "true", "yes")
