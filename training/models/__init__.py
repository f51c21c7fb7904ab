"""Tables of the training app: the course catalogue, assignments, quizzes, certifications,
recommendation rules and recommendations.

Split by concern: ``catalogue`` (courses, modules, materials, quizzes), ``progress``
(assignments, module completions, quiz attempts, certifications) and ``recommendations``
(admin-configured rules and the suggestions they produce).
"""

from __future__ import annotations

from training.models.catalogue import (
    AnswerOption,
    Course,
    Material,
    Module,
    Question,
    Quiz,
)
from training.models.progress import Assignment, Certification, ModuleCompletion, QuizAttempt
from training.models.recommendations import Recommendation, RecommendationRule

__all__ = [
    "AnswerOption",
    "Assignment",
    "Certification",
    "Course",
    "Material",
    "Module",
    "ModuleCompletion",
    "Question",
    "Quiz",
    "QuizAttempt",
    "Recommendation",
    "RecommendationRule",
]
