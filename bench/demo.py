"""Demo data benchmark: prints JSON with the seconds and rows each app's demo takes.

`make run` loads the demo on first start, so its speed is what a new user waits for.

Usage:
    .venv/bin/python bench/demo.py                                   # SQLite
    DATABASE_URL=postgres://salesgoals:salesgoals@127.0.0.1:5432/salesgoals \\
        .venv/bin/python bench/demo.py
"""

from __future__ import annotations

import json
import time
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from _setup import test_database
from django.apps import apps
from django.db import connection


def _rows() -> int:
    return sum(model.objects.count() for model in apps.get_models())


def main() -> None:
    from salesgoals import demo

    report: dict[str, Any] = {"database": connection.vendor, "apps": {}}
    with test_database():
        originals = {}
        for app in demo.APP_DEMOS:
            if find_spec(f"{app}.demo") is None:
                continue
            module = import_module(f"{app}.demo")
            originals[app] = module.seed

            def timed(ctx: Any, app: str = app, seed: Any = module.seed) -> Any:
                rows, started = _rows(), time.perf_counter()
                result = seed(ctx)
                report["apps"][app] = {
                    "seconds": round(time.perf_counter() - started, 2),
                    "rows_added": _rows() - rows,
                }
                return result

            module.seed = timed
        started = time.perf_counter()
        try:
            demo.seed_all()
        finally:
            for app, seed in originals.items():
                import_module(f"{app}.demo").seed = seed
        report["total_seconds"] = round(time.perf_counter() - started, 2)
        report["rows"] = _rows()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
