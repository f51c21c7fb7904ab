"""Certification reads."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Q

from training.models import Certification


def valid_certifications(user_ids: Iterable[int], on: datetime.date) -> dict[int, set[str]]:
    """User id → codes of courses in which the user holds a certification valid on ``on``.

    Valid means issued_on ≤ on and (expires_on is empty or on ≤ expires_on). Every requested
    user id is a key (with an empty set when they hold none). One query.
    """
    ids = list(dict.fromkeys(int(u) for u in user_ids))
    result: dict[int, set[str]] = {uid: set() for uid in ids}
    if not ids:
        return result
    rows = (
        Certification.objects.filter(user_id__in=ids, issued_on__lte=on)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
        .values_list("user_id", "course__code")
    )
    for user_id, code in rows:
        result[user_id].add(code)
    return result
