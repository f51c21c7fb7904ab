"""Tasks on their way to the broker: the durable half of `salesgoals.dispatch`."""

from __future__ import annotations

from django.db import models


class PendingTask(models.Model):
    """A Celery task to send, written in the transaction that wants it.

    The row is deleted once the broker took the message; a row that stays (the broker was
    down, the process died between commit and publish) is sent again by the relay task.
    Every task of the product is idempotent, so a message sent twice changes nothing.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return self.task
