"""Load run against the production configuration: prints JSON.

1. Builds the bench company of `bench/rollup.py` (`Company`: reps in teams of 10 under four
   regions, customers, deals with split credit, orders, payments, activities; default size
   = rollup.py's PostgreSQL default) in a throwaway PostgreSQL database (`bench/_setup.py`;
   migrations run as it is created), plus what the pages need: team managers, executives, a
   company revenue plan split to every rep and week, approved and published, an action plan
   with tasks per managed team, the full KPI rollup, and one password for every login.
2. Runs the deploy steps with the PRODUCTION settings (`DJANGO_DEBUG=0`, a random secret key,
   `ALLOWED_HOSTS=127.0.0.1`, SSL redirect off for the loopback hop, PostgreSQL + Redis):
   `migrate` (a no-op on the fresh database), `collectstatic` (the manifest storage needs it).
3. Starts gunicorn on 127.0.0.1 (`--workers`, default 3) and a Celery worker and beat (the
   production settings are not eager: fact writes only record outbox keys, which beat drains
   every minute through the worker, as in production; `--no-worker` leaves them queued).
4. Runs locust headless as a subprocess (`bench/_locustfile.py`; locust imports gevent, so it
   is never imported here), first a short warm-up, then `--users` simulated users (default 50:
   reps, managers and executives 7:2:1) for `--duration` seconds against 127.0.0.1 only. Each
   logs in through the login form, then mixes the three dashboards (pages and
   `/api/v1/dashboards/…`), the target grid page, lists (KPI values, deals, activities,
   tasks; pages and API) and fact writes (quick-log an activity, PATCH one of its deals).
5. Prints JSON: requests/s, p50/p95/p99 and mean size per endpoint, failures (count and
   samples, with the server's error log), CPU used by the server, worker and locust against
   the whole machine's (how busy the machine was with other work), and, per endpoint, the SQL
   queries and in-process time of one request through Django's test client on the same data
   (`--profile`: the top functions of endpoints that missed the aim).

Aims: no errors; p95 under 200 ms for pages and API reads.

Usage (the defaults take ~3 minutes on 2 cores):
    make load                                                   # LOAD_ARGS="--duration 120"
    DATABASE_URL=postgres://salesgoals:salesgoals@127.0.0.1:5432/salesgoals \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/load.py --duration 60
Without DATABASE_URL/REDIS_URL it uses the local servers' defaults above. The database it
builds is dropped at the end (`--keep` keeps it, with the server's env printed, to poke at).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
os.environ.setdefault("DATABASE_URL", "postgres://salesgoals:salesgoals@127.0.0.1:5432/salesgoals")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

from _setup import measure, test_database  # noqa: E402  (django.setup(): settings_test)
from decompose import profile  # noqa: E402
from django.db import connection  # noqa: E402
from rollup import Company  # noqa: E402

PASSWORD = "load-bench-password"  # throwaway accounts, throwaway database
AIM_P95_MS = 200.0
TEAM_MANAGERS = 10
EXECUTIVES = 3


# --- 1. the data set ---------------------------------------------------------------------------


def build(args: argparse.Namespace) -> dict[str, Any]:
    from django.conf import settings
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.utils import timezone

    from kpis import rollup
    from kpis.models import DirtyKey
    from plans.services import actions as plan_services
    from salesgoals import services
    from salesgoals.models import FiscalYear, Metric, OrgUnit, Period, PeriodKind, Role, User
    from targets import services as target_services
    from targets.smart import PlanDraft

    started = time.perf_counter()
    today = timezone.localdate()
    settings.SALESGOALS = {**settings.SALESGOALS, "DRAIN_ON_COMMIT": False}
    for year in sorted({2025, 2026, today.year}):
        services.fiscal_year_generate(year=year)
    company = Company(args.reps)
    sizes = company.add(args.deals, args.activities)
    root = OrgUnit.objects.get(depth=1)
    region = OrgUnit.objects.get(manager=company.manager)  # Company's "manager": region 0
    teams = list(
        OrgUnit.objects.filter(depth=3, path__startswith=region.path).order_by("path")[
            :TEAM_MANAGERS
        ]
    )
    managers = ["manager"]
    for i, team in enumerate(teams):
        user = services.user_create(username=f"team-manager{i}", role=Role.MANAGER, org_unit=team)
        services.org_unit_set_manager(unit=team, manager=user)
        managers.append(user.username)
    executives = ["executive"]
    for i in range(1, EXECUTIVES):
        services.user_create(username=f"executive{i}", role=Role.EXECUTIVE, org_unit=root)
        executives.append(f"executive{i}")
    # The production hasher (PBKDF2, Django's iterations): the bench process hashes with
    # settings_test's MD5, which the production settings do not accept.
    hasher = PBKDF2PasswordHasher()
    User.objects.update(password=hasher.encode(PASSWORD, hasher.salt()))
    reps = list(
        User.objects.filter(role=Role.REP).order_by("pk").values_list("username", flat=True)
    )

    DirtyKey.objects.all().delete()
    rollup_stats = rollup.full_recompute()

    executive = User.objects.get(username="executive")
    fiscal_year = FiscalYear.objects.get(start__lte=today, end__gte=today)
    plan = target_services.plan_create(
        actor=executive,
        draft=PlanDraft(
            metric=Metric.objects.get(code="revenue"),
            fiscal_year=fiscal_year,
            org_unit=root,
            value=sizes["deals"] * 3_000_000,  # about what the deals bring, in minor units
            description="Company revenue, split to every rep and week.",
            objective="Load bench",
            period_method="working_days",
            owner_method="headcount",
            warnings_reason="Bench data.",
        ),
        today=today,
    )
    target_services.plan_submit(plan=plan, actor=executive)
    target_services.plan_approve(plan=plan, actor=User.objects.get(username="executive1"))

    for name in managers[1:]:
        manager = User.objects.get(username=name)
        action_plan = plan_services.action_plan_create(
            actor=manager,
            title=f"Catch up: {manager.org_unit.name}",
            org_unit=manager.org_unit,
            owner=manager,
            start_date=today - datetime.timedelta(days=30),
            end_date=today + datetime.timedelta(days=60),
            target_plan=plan,
        )
        team_reps = User.objects.filter(role=Role.REP, org_unit=manager.org_unit).order_by("pk")
        for j, rep in enumerate(team_reps[:6]):
            plan_services.task_create(
                actor=manager,
                plan=action_plan,
                title=f"Visit key accounts {j}",
                owner=rep,
                start_date=today - datetime.timedelta(days=20),
                due_date=today + datetime.timedelta(days=j * 5 - 10),
            )
    month = Period.objects.get(
        fiscal_year=fiscal_year, kind=PeriodKind.MONTH, start__lte=today, end__gte=today
    )
    return {
        "sizes": {
            **sizes,
            "reps": len(reps),
            "units": OrgUnit.objects.count(),
            "users": User.objects.count(),
        },
        "build_s": round(time.perf_counter() - started, 1),
        "full_rollup_s": rollup_stats["seconds"],
        "accounts": {"rep": reps, "manager": managers, "executive": executives},
        "plan": plan.pk,
        "month": month.pk,
        "today": today.isoformat(),
        "ids": dict(User.objects.filter(role=Role.REP).values_list("username", "pk")),
        # Each manager looks at one rep of their own subtree.
        "rep_of": {
            name: User.objects.filter(role=Role.REP, org_unit=team).order_by("pk").first().pk
            for name, team in zip(managers, [teams[0], *teams], strict=True)
        },
    }


def endpoints(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The mix per role: name, URL, weight and kind (page, api, write)."""

    def step(role: str, kind: str, url: str, weight: int, action: str = "get") -> dict[str, Any]:
        name = f"{role}: {url.split('?')[0]}" if action == "get" else f"{role}: {action}"
        return {"name": name, "url": url, "weight": weight, "kind": kind, "action": action}

    kpis = f"/api/v1/kpis/?period={data['month']}&page_size=50"
    grid = f"/targets/{data['plan']}/grid/"
    return {
        "rep": [
            step("rep", "page", "/dashboards/rep/", 4),
            step("rep", "api", "/api/v1/dashboards/rep/", 2),
            step("rep", "page", "/kpis/", 1),
            step("rep", "api", kpis, 2),
            step("rep", "page", "/kpis/deals/", 1),
            step("rep", "api", "/api/v1/deals/?page_size=50", 1),
            step("rep", "page", "/kpis/activities/", 1),
            step("rep", "api", "/api/v1/activities/?page_size=50", 1),
            step("rep", "page", "/plans/my-tasks/", 1),
            step("rep", "api", "/api/v1/tasks/?mine=1", 1),
            step("rep", "write", "/kpis/activities/log/", 2, "log_activity"),
            step("rep", "write", "/api/v1/deals/{id}/", 1, "update_deal"),
        ],
        "manager": [
            step("manager", "page", "/dashboards/manager/", 4),
            step("manager", "api", "/api/v1/dashboards/manager/", 2),
            step("manager", "page", "/dashboards/rep/?rep={rep}", 1),
            step("manager", "page", grid, 2),
            step("manager", "api", kpis, 2),
            step("manager", "page", "/kpis/deals/", 1),
            step("manager", "api", "/api/v1/deals/?page_size=50", 1),
            step("manager", "page", "/kpis/activities/", 1),
            step("manager", "api", "/api/v1/activities/?page_size=50", 1),
            step("manager", "api", "/api/v1/tasks/?page_size=50", 1),
            step("manager", "write", "/api/v1/deals/{id}/", 1, "update_deal"),
        ],
        "executive": [
            step("executive", "page", "/dashboards/executive/", 4),
            step("executive", "api", "/api/v1/dashboards/executive/", 2),
            step("executive", "page", "/dashboards/manager/", 1),
            step("executive", "page", grid, 2),
            step("executive", "api", kpis, 2),
            step("executive", "page", "/kpis/deals/", 1),
            step("executive", "api", "/api/v1/deals/?page_size=50", 1),
            step("executive", "api", "/api/v1/activities/?page_size=50", 1),
            step("executive", "api", "/api/v1/tasks/?page_size=50", 1),
        ],
    }


# --- 2.–3. the servers -------------------------------------------------------------------------


def collectstatic_needed() -> bool:
    """The manifest is missing or older than a static source file (collectstatic with the
    compressing manifest storage takes over a minute of CPU here: skip it when current)."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for finder in get_finders():
        for path, storage in finder.list([]):
            if os.stat(storage.path(path)).st_mtime > built:
                return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(db_name: str, redis_url: str, rates: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST_", "CELERY_")) and k != "DATABASE_URL"
    }
    base = urlsplit(os.environ["DATABASE_URL"])
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "salesgoals.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            # gunicorn is reached over loopback HTTP, as behind a TLS proxy (the users send
            # X-Forwarded-Proto: https); no redirect, no HSTS for 127.0.0.1.
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": urlunsplit(base._replace(path=f"/{db_name}")),
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "WARNING",
            # 50 users share one address: lock-out and throttles must not be what is measured.
            "AXES_FAILURE_LIMIT": "1000",
            **rates,
        }
    )
    return env


def throttle_env() -> dict[str, str]:
    """Raise every throttle rate the settings read from the environment (none when the
    settings have no such variables): the bench is one address with 50 users."""
    import re

    source = (ROOT / "salesgoals" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z0-9_]*THROTTLE[A-Z0-9_]*)\"", source))
    return {name: "100000/min" for name in sorted(names) if "RATE" in name or "THROTTLE_" in name}


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("ab")
    return subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def wait_ready(base_url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(
        base_url + "/accounts/login/", headers={"X-Forwarded-Proto": "https"}
    )
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not answer on {base_url}")
        time.sleep(0.5)


def cpu_seconds(processes: list[subprocess.Popen]) -> float:
    """CPU time (user + system) of the given processes and all their children."""
    import psutil

    total = 0.0
    for process in processes:
        try:
            parent = psutil.Process(process.pid)
            for p in [parent, *parent.children(recursive=True)]:
                times = p.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


# --- 4.–5. locust and the results ---------------------------------------------------------------


def run_locust(
    base_url: str, context: Path, out: Path, users: int, spawn_rate: float, seconds: int
) -> subprocess.CompletedProcess:
    argv = [
        str(VENV_BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "_locustfile.py"),
        "--headless",
        "--host",
        base_url,
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "10",
        "--csv",
        str(out),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["LOAD_CONTEXT"] = str(context)
    return subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 120, check=False
    )


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _csv(path: str) -> list[dict[str, str]]:
    with Path(path).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_stats(prefix: Path, kinds: dict[str, str]) -> dict[str, Any]:
    rows = _csv(f"{prefix}_stats.csv")
    endpoints: dict[str, Any] = {}
    total: dict[str, Any] = {}
    for row in rows:
        entry = {
            "method": row["Type"],
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": round(float(row["Requests/s"]), 2),
            "p50_ms": _number(row["50%"]),
            "p95_ms": _number(row["95%"]),
            "p99_ms": _number(row["99%"]),
            "max_ms": round(float(row["Max Response Time"]), 1),
            "mean_ms": round(float(row["Average Response Time"]), 1),
            "mean_bytes": round(float(row["Average Content Size"])),
        }
        if row["Name"] == "Aggregated":
            total = entry
            continue
        kind = kinds.get(row["Name"], "login" if "login" in row["Name"] else "api")
        entry["kind"] = kind
        if kind in ("page", "api") and entry["p95_ms"] is not None:
            entry["p95_under_aim"] = entry["p95_ms"] < AIM_P95_MS
        endpoints[row["Name"]] = entry
    failures = [
        {
            "method": r["Method"],
            "name": r["Name"],
            "error": r["Error"][:500],
            "count": int(r["Occurrences"]),
        }
        for r in _csv(f"{prefix}_failures.csv")
    ]
    exceptions = [
        {"count": int(r["Count"]), "message": r["Message"][:500]}
        for r in _csv(f"{prefix}_exceptions.csv")
    ]
    return {"total": total, "endpoints": endpoints, "failures": failures, "exceptions": exceptions}


def server_errors(log: Path, limit: int = 5) -> list[str]:
    """Samples of what the server logged as errors (tracebacks' last lines)."""
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    samples = []
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j] and not lines[j].startswith(" ")),
                i,
            )
            samples.append(lines[end][:300])
        elif "[ERROR]" in line or "CRITICAL" in line:
            samples.append(line[:300])
    return samples[:limit] + ([f"… {len(samples) - limit} more"] if len(samples) > limit else [])


def in_process(
    mix: dict[str, list[dict[str, Any]]],
    accounts: dict[str, list[str]],
    rep_of: dict[str, int],
    slow: set[str],
    do_profile: bool,
) -> dict[str, Any]:
    """Queries and in-process time of each read, one request through the test client."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext  # noqa: F401  (used by measure)

    from salesgoals.models import User

    out: dict[str, Any] = {}
    for role, steps in mix.items():
        client = Client(headers={"accept-language": "zh-hans"})
        client.force_login(User.objects.get(username=accounts[role][0]))
        for step in steps:
            if step["action"] != "get":
                continue

            url = step["url"].replace("{rep}", str(rep_of.get(accounts[role][0], "")))

            def call(client: Client = client, url: str = url) -> None:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            call()  # warm
            entry: dict[str, Any] = measure(call, repeat=3)
            if do_profile or step["name"] in slow:
                entry["profile"] = profile(call, top=15)
            out[step["name"]] = entry
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reps", type=int, default=300)
    parser.add_argument("--deals", type=int, default=60_000)
    parser.add_argument("--activities", type=int, default=180_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--spawn-rate", type=float, default=2.0, help="users started (logging in) per second"
    )
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of warm-up (not counted)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (2-4 on 2 cores)")
    parser.add_argument(
        "--wait",
        type=float,
        nargs=2,
        default=[1.0, 3.0],
        metavar=("MIN", "MAX"),
        help="think time between steps, seconds",
    )
    parser.add_argument(
        "--mix", type=int, nargs=3, default=[7, 2, 1], metavar=("REPS", "MANAGERS", "EXECUTIVES")
    )
    parser.add_argument("--redis-url", default=os.environ["REDIS_URL"])
    parser.add_argument("--no-worker", action="store_true", help="no Celery worker and beat")
    parser.add_argument("--profile", action="store_true", help="profile every read in-process")
    parser.add_argument("--keep", action="store_true", help="keep the database and logs")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/load.py needs PostgreSQL: set DATABASE_URL=postgres://…")

    workdir = Path(tempfile.mkdtemp(prefix="salesgoals-load-"))
    result: dict[str, Any] = {"benchmark": "load", "settings": "production (DJANGO_DEBUG=0)"}
    with ExitStack() as stack:
        if not args.keep:
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        if args.keep:
            from django.test.utils import setup_test_environment

            setup_test_environment()
            base = connection.settings_dict["NAME"]
            connection.settings_dict.setdefault("TEST", {})["NAME"] = (
                f"test_{base}_load_{os.getpid()}"
            )
            connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        else:
            stack.enter_context(test_database())
        data = build(args)
        db_name = connection.settings_dict["NAME"]
        connection.close()
        accounts = data.pop("accounts")
        mix = endpoints(data)
        result["data"] = {
            **data.pop("sizes"),
            "build_s": data["build_s"],
            "full_rollup_s": data["full_rollup_s"],
        }

        rates = throttle_env()
        env = production_env(db_name, args.redis_url, rates)
        manage = [sys.executable, "manage.py"]
        started = time.perf_counter()
        steps = [["migrate", "--noinput", "-v0"]]
        if collectstatic_needed():
            steps.append(["collectstatic", "--noinput", "-v0"])
        for command in steps:
            subprocess.run(manage + command, cwd=ROOT, env=env, check=True, capture_output=True)
        result["deploy_steps"] = {
            "steps": [command[0] for command in steps],
            "seconds": round(time.perf_counter() - started, 1),
        }

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        processes: list[subprocess.Popen] = []
        logs = {name: workdir / f"{name}.log" for name in ("gunicorn", "worker", "beat")}
        try:
            gunicorn = start(
                [
                    str(VENV_BIN / "gunicorn"),
                    "salesgoals.wsgi:application",
                    f"--bind=127.0.0.1:{port}",
                    f"--workers={args.workers}",
                    "--timeout=60",
                    f"--access-logfile={workdir / 'access.log'}",
                ],
                env,
                logs["gunicorn"],
            )
            processes.append(gunicorn)
            if not args.no_worker:
                celery = str(VENV_BIN / "celery")
                processes.append(
                    start(
                        [celery, "-A", "salesgoals", "worker", "-l", "warning", "-c", "1",
                         "-n", f"load-{os.getpid()}@%h", "--without-gossip", "--without-mingle"],
                        env,
                        logs["worker"],
                    )
                )  # fmt: skip
                processes.append(
                    start(
                        [celery, "-A", "salesgoals", "beat", "-l", "warning", "--pidfile=",
                         "-s", str(workdir / "beat-schedule"),
                         "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"],
                        env,
                        logs["beat"],
                    )
                )  # fmt: skip
            wait_ready(base_url)

            context = workdir / "context.json"
            context.write_text(
                json.dumps(
                    {
                        "password": PASSWORD,
                        "accounts": accounts,
                        "endpoints": mix,
                        "today": data["today"],
                        "rep_of": data["rep_of"],
                        "ids": data["ids"],
                        "wait": args.wait,
                        "mix": dict(zip(("rep", "manager", "executive"), args.mix, strict=True)),
                    }
                ),
                encoding="utf-8",
            )
            run_locust(
                base_url, context, workdir / "warmup", max(args.workers * 2, 6), 6, args.warmup
            )
            warm_stats = read_stats(workdir / "warmup", {})
            result["warmup"] = {
                "seconds": args.warmup,
                "requests": warm_stats["total"].get("requests"),
                "failures": warm_stats["total"].get("failures"),
            }

            import psutil

            load_before = os.getloadavg()
            machine_before = psutil.cpu_times()
            ours_before = cpu_seconds(processes)
            children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            run = run_locust(
                base_url, context, workdir / "load", args.users, args.spawn_rate, args.duration
            )
            wall = time.perf_counter() - started
            ours = cpu_seconds(processes) - ours_before
            machine_after = psutil.cpu_times()
            busy = sum(
                getattr(machine_after, f) - getattr(machine_before, f)
                for f in ("user", "system", "nice", "irq", "softirq", "steal")
            )
            kinds = {step["name"]: step["kind"] for steps in mix.values() for step in steps}
            kinds.update({f"{role}: /api/v1/deals/?status=open": "api" for role in mix})
            stats = read_stats(workdir / "load", kinds)
            children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            locust_cpu = (children_after.ru_utime - children_before.ru_utime) + (
                children_after.ru_stime - children_before.ru_stime
            )
            if run.returncode not in (0, 1):  # 1 = there were failures
                stats["locust_error"] = run.stderr[-2000:]
            result["run"] = {
                "users": args.users,
                "spawn_rate_per_s": args.spawn_rate,
                "mix_rep_manager_executive": args.mix,
                "think_time_s": args.wait,
                "duration_s": args.duration,
                "wall_s": round(wall, 1),
                "gunicorn_workers": args.workers,
                "celery_worker": not args.no_worker,
                "throttle_env_raised": sorted(rates),
            }
            result["requests_per_s"] = stats["total"].get("rps")
            result["total"] = stats["total"]
            result["errors"] = {
                "count": stats["total"].get("failures", 0)
                + sum(e["count"] for e in stats["exceptions"]),
                "failures": stats["failures"][:10],
                "exceptions": stats["exceptions"][:5],
                "server_log": server_errors(logs["gunicorn"]),
                "worker_log": server_errors(logs["worker"]),
            }
            result["endpoints"] = stats["endpoints"]
            cores = psutil.cpu_count() or 1
            result["machine"] = {
                "cores": cores,
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "cpu_busy_s": round(busy, 1),
                "cpu_available_s": round(wall * cores, 1),
                "cpu_server_worker_beat_s": round(ours, 1),
                # Server + worker CPU per request (logins included: ~0.25 s of PBKDF2 each).
                "cpu_server_ms_per_request": round(
                    ours * 1000 / max(1, stats["total"].get("requests", 0))
                ),
                "cpu_locust_s": round(locust_cpu, 1),
                # What the rest of the machine (other people's tests and builds) used meanwhile.
                "cpu_other_work_s": round(busy - ours - locust_cpu, 1),
            }
            missed = sorted(
                name for name, e in stats["endpoints"].items() if e.get("p95_under_aim") is False
            )
            result["aims"] = {
                "no_errors": result["errors"]["count"] == 0,
                "p95_under_200ms": not missed,
                "missed": missed,
            }
        finally:
            for process in reversed(processes):
                stop(process)
        # Queries per endpoint, one request each through the test client on the same data.
        result["in_process"] = in_process(
            mix,
            accounts,
            data["rep_of"],
            set(result.get("aims", {}).get("missed", [])),
            args.profile,
        )
        if args.keep:
            result["kept"] = {
                "database": db_name,
                "logs": str(workdir),
                "server_env": {
                    k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOWED_HOSTS")
                },
            }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
