"""Writes of the training app (see each module's docstring for its rules)."""

from __future__ import annotations

from training.services.assignments import (  # noqa: F401
    RENEWAL_NOTICE_DAYS,
    assign,
    assignment_cancel,
    certification_issue,
    grade,
    module_complete,
    quiz_submit,
)
from training.services.catalogue import (  # noqa: F401
    ALLOWED_EXTENSIONS,
    MAX_UPLOAD_BYTES,
    course_create,
    course_update,
    material_add,
    material_delete,
    module_delete,
    module_save,
    question_add,
    question_delete,
    quiz_delete,
    quiz_set,
)
from training.services.recommendations import (  # noqa: F401
    evaluate_rule,
    explain,
    recommendation_assign,
    recommendation_dismiss,
    recommendations_compute,
    rule_delete,
    rule_save,
)
from training.services.reminders import (  # noqa: F401
    certification_reminders_send,
    overdue_reminders_send,
)
