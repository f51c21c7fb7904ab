"""Every write of `crm_sync`: connections and mappings (`connections.py`), runs (`sync.py`),
and the adapter that turns CRM records into facts through `kpis.services` (`ingest.py`)."""

from .connections import *  # noqa: F403
from .sync import run_sync, sync_due, sync_request, users_refresh  # noqa: F401
