"""Every write of `kpis` data: facts (`facts.py`) and target numbers (`targets.py`)."""

from .facts import *  # noqa: F403
from .targets import *  # noqa: F403
