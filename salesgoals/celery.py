"""The Celery app. Without a broker (embedded mode) tasks run eagerly in-process.

The beat schedule lives in one place: `CELERY_BEAT_SCHEDULE` in settings.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesgoals.settings")

app = Celery("salesgoals")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
