"""deploy/backup.sh and deploy/restore.sh against the real PostgreSQL server and client tools.

Data written through the services (committed: a transactional test) is dumped by backup.sh,
restored by restore.sh into a new database on the same server, and compared table by table:
row counts and a checksum of every row's text. restore.sh's own checks (`migrate --check`,
system checks) run against the restored database. A damaged archive and an existing target
name must fail without leaving a database behind or touching the existing one.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

from tests.conftest import need_service

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup.sh"
RESTORE = ROOT / "deploy" / "restore.sh"
TABLES = (
    "django_migrations",
    "salesgoals_orgunit",
    "salesgoals_user",
    "salesgoals_fiscalyear",
    "salesgoals_period",
    "salesgoals_metric",
    "kpis_customer",
    "kpis_deal",
    "kpis_dealshare",
    "kpis_activity",
    "kpis_dirtykey",
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _url(name: str) -> str:
    s = connection.settings_dict
    credentials = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        credentials += ":" + quote(s["PASSWORD"], safe="")
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{credentials}@{s['HOST'] or '127.0.0.1'}{port}/{name}"


@pytest.fixture
def server() -> dict[str, str]:
    need_service("PostgreSQL", connection.vendor == "postgresql")
    tools = [shutil.which(tool) for tool in ("pg_dump", "pg_restore", "psql")]
    need_service("PostgreSQL client tools (pg_dump, pg_restore, psql)", all(tools))
    source = connection.settings_dict["NAME"]
    target = f"{source}_restored_{os.getpid()}"[:63]
    yield {"source": source, "target": target}
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def _run(script: Path, *args: str, database: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": _url(database), "PYTHON": str(ROOT / ".venv/bin/python")}
    if not Path(env["PYTHON"]).exists():
        env["PYTHON"] = "python"
    return subprocess.run(
        ["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=180
    )


def _fingerprint(database: str) -> dict[str, tuple[int, str]]:
    with psycopg.connect(_url(database)) as conn:
        return {
            table: conn.execute(
                f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                f"FROM {table} t"
            ).fetchone()
            for table in TABLES
        }


def _exists(database: str) -> bool:
    with psycopg.connect(_url("postgres")) as conn:
        return bool(
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        )


def _seed() -> None:
    from kpis import services as facts
    from salesgoals import services
    from salesgoals.models import Role

    services.fiscal_year_generate(year=2026)
    company = services.org_unit_create(name="总公司", parent=None, kind="company")
    team = services.org_unit_create(name="华东一组", parent=company)
    reps = [
        services.user_create(username=f"rep{i}", role=Role.REP, org_unit=team) for i in range(3)
    ]
    day = datetime.date(2026, 3, 16)
    customer = facts.customer_upsert(owner=reps[0], name="上海贸易", created_date=day)
    for i, rep in enumerate(reps):
        facts.deal_upsert(
            owner=rep,
            name=f"Deal {i} — 续约",
            amount=Decimal("1234.56") * (i + 1),
            created_date=day,
            close_date=day + datetime.timedelta(days=30),
            status="won" if i else "open",
            customer=customer,
            shares=[(rep, 6000), (reps[(i + 1) % 3], 4000)],
        )
        facts.activity_upsert(owner=rep, activity_date=day, subject=f"拜访客户 {i}\nline two")


def test_backup_and_restore_into_a_new_database_keep_every_row(server, tmp_path) -> None:
    _seed()
    before = _fingerprint(server["source"])
    assert before["kpis_deal"][0] == 3
    assert before["kpis_dealshare"][0] == 6
    assert before["salesgoals_period"][0] > 60

    backup = _run(BACKUP, str(tmp_path), database=server["source"])
    assert backup.returncode == 0, backup.stderr
    archive = Path(backup.stdout.strip().splitlines()[-1])
    assert archive.is_file()
    assert archive.parent == tmp_path
    assert Path(f"{archive}.sha256").is_file()
    assert archive.read_bytes()[:5] == b"PGDMP"  # custom format

    restore = _run(RESTORE, str(archive), server["target"], database=server["source"])
    assert restore.returncode == 0, restore.stderr
    assert restore.stdout.strip().endswith(f"/{server['target']}")
    assert "checks passed" in restore.stderr

    assert _fingerprint(server["target"]) == before
    # The restored database is a working one: sequences continue after the restored ids.
    with psycopg.connect(_url(server["target"])) as conn:
        next_id = conn.execute("SELECT nextval(pg_get_serial_sequence('kpis_deal', 'id'))")
        max_id = conn.execute("SELECT max(id) FROM kpis_deal").fetchone()[0]
        assert next_id.fetchone()[0] > max_id


def test_a_damaged_archive_or_a_taken_name_restores_nothing(server, tmp_path) -> None:
    _seed()
    backup = _run(BACKUP, str(tmp_path), database=server["source"])
    assert backup.returncode == 0, backup.stderr
    archive = Path(backup.stdout.strip().splitlines()[-1])
    before = _fingerprint(server["source"])

    # The existing database is refused, and left as it was.
    taken = _run(RESTORE, str(archive), server["source"], database=server["source"])
    assert taken.returncode != 0
    assert "already exists" in taken.stderr
    assert _fingerprint(server["source"]) == before

    # A checksum mismatch is refused before anything is created.
    (tmp_path / "damaged").mkdir()
    damaged = tmp_path / "damaged" / archive.name
    data = archive.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    shutil.copy(f"{archive}.sha256", f"{damaged}.sha256")
    bad_sum = _run(RESTORE, str(damaged), server["target"], database=server["source"])
    assert bad_sum.returncode != 0
    assert "does not match" in bad_sum.stderr
    assert not _exists(server["target"])

    # Without its checksum file, a truncated archive fails in pg_restore; the half-made
    # database is dropped.
    Path(f"{damaged}.sha256").unlink()
    truncated = _run(RESTORE, str(damaged), server["target"], database=server["source"])
    assert truncated.returncode != 0
    assert "dropping" in truncated.stderr
    assert not _exists(server["target"])
