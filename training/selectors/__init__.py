"""Reads of the training app, always scoped through `salesgoals.scope`.

``valid_certifications`` is the public read other apps use (incentives: promotion
eligibility); keep its signature.
"""

from __future__ import annotations

from training.selectors.assignments import (  # noqa: F401
    assignment_counts,
    assignment_get_for_user,
    assignments_visible,
    certifications_visible,
    is_overdue,
    latest_certification,
    module_progress,
)
from training.selectors.catalogue import course_get, courses_visible, quiz_of  # noqa: F401
from training.selectors.certifications import valid_certifications  # noqa: F401
from training.selectors.recommendations import (  # noqa: F401
    recommendation_get_for_user,
    recommendations_visible,
    rules_all,
)
