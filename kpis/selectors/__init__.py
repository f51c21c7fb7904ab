"""Every non-trivial read of `kpis` data: facts (`facts.py`) and KPI values (`kpi.py`)."""

import contextlib

from .facts import *  # noqa: F403

with contextlib.suppress(ImportError):  # kpi.py is written alongside
    from .kpi import *  # noqa: F403
