"""``cgov tokens`` and ``cgov serve``: issue, list, revoke; a real server on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from community_governance.cli import _load, cli


@pytest.fixture
def db(tmp_path: Path) -> str:
    _load()
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert CliRunner().invoke(cli, ["db", "init", url]).exit_code == 0
    return url


def test_tokens_issue_list_revoke(db: str) -> None:
    """The secret is printed once; the list shows none; revoking marks it; errors exit
    with the documented statuses."""
    run = CliRunner()
    env = {"CGOV_ACTOR": "system"}
    got = run.invoke(cli, ["tokens", "issue", "--db", db, "--for", "resident:R0001",
                           "--scope", "cases", "--scope", "points", "--label", "小程序"],
                     env=env)
    assert got.exit_code == 0, got.output
    secret = got.stdout.strip()
    assert secret.startswith("cgov_")
    listed = run.invoke(cli, ["tokens", "list", "--db", db, "--json"], env=env)
    rows = json.loads(listed.stdout)
    assert [(r["id"], r["actor"]["id"], r["scopes"], r["revoked_at"]) for r in rows] == [
        (1, "R0001", ["cases", "points"], None)]
    assert secret not in listed.output
    revoked = run.invoke(cli, ["tokens", "revoke", "1", "--db", db, "--json"], env=env)
    assert json.loads(revoked.stdout)["revoked_at"]
    assert run.invoke(cli, ["tokens", "revoke", "9", "--db", db], env=env).exit_code == 3
    assert run.invoke(cli, ["tokens", "issue", "--db", db, "--for", "resident:R1",
                            "--scope", "cases"]).exit_code == 2  # a write needs --as
    denied = run.invoke(cli, ["tokens", "list", "--db", db, "--as", "staff:S1"])
    assert denied.exit_code == 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_on_loopback(db: str) -> None:
    """cgov serve starts uvicorn; the discovery document and the OpenAPI document answer;
    the access log names no client and no query string."""
    port = _free_port()
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from community_governance.cli import main; main()", "serve",
         "--db", db, "--port", str(port), "--rate-limit", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                r = httpx.get(f"{base}/open311/v2/discovery.json?phone=13800000007")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        assert r.status_code == 200 and "open311/v2" in r.text
        assert httpx.get(f"{base}/schema/openapi.json").json()["openapi"].startswith("3.1")
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    access = [line for line in (out + err).splitlines() if "discovery.json" in line]
    assert access and all("13800000007" not in a and "127.0.0.1" not in a for a in access)
