"""Pages of the training area. Split by concern: ``catalogue`` (browse; admins build courses,
modules, materials and quizzes), ``progress`` (my training, an assignment, taking a quiz,
team progress, assigning) and ``insights`` (skills matrix, recommendations and their rules,
effectiveness)."""
