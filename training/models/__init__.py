"""Tables of the training app: the course catalogue, assignments, quizzes, certifications,
recommendation rules and recommendations.

Split by concern: ``catalogue`` (courses, modules, materials, quizzes), ``progress``
(assignments, module completions, quiz attempts, certifications) and ``recommendations``
(admin-configured rules and the suggestions they produce).
"""

from __future__ import annotations

from training.models.catalogue import Course  # noqa: F401
from training.models.progress import Certification  # noqa: F401
