"""Encryption at rest from the command line: ``cgov db init --generate-key``, ``--key-file``,
``CGOV_KEY_FILE``, ``CGOV_KEY``, the sealed demo, and refusals without the key."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import community_governance as cg
from community_governance.cli import cli
from community_governance.services.crypto import PersonalDataCipher


def _init(runner: CliRunner, tmp_path: Path) -> tuple[str, Path]:
    url = f"sqlite:///{tmp_path / 'county.db'}"
    key = tmp_path / "county.key"
    res = runner.invoke(cli, ["db", "init", url, "--generate-key", str(key), "--json"])
    assert 0 == res.exit_code, res.output
    out = json.loads(res.stdout)
    assert out["sealed"] is True
    assert out["key_fingerprint"] == PersonalDataCipher(key.read_text().strip()).fingerprint
    return url, key


class TestGenerateKey:
    def test_writes_an_owner_only_key_and_seals_the_database(
            self, runner: CliRunner, tmp_path: Path) -> None:
        """Writes a 0600 key file and records its fingerprint (never the key) in the
        database."""
        url, key = _init(runner, tmp_path)
        assert 0o600 == stat.S_IMODE(key.stat().st_mode)
        text = key.read_text().strip()
        assert len(text) >= 40
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT name, value FROM database_settings")).all()
        engine.dispose()
        assert [("data_key_fingerprint", PersonalDataCipher(text).fingerprint)] == \
            [tuple(r) for r in rows]
        assert text not in (tmp_path / "county.db").read_bytes().decode("latin-1")

    def test_refuses_to_overwrite_a_key_file_and_writes_nothing(
            self, runner: CliRunner, tmp_path: Path) -> None:
        """An existing key file is refused (conflict, exit 6): it is left as it was and no
        database is created."""
        key = tmp_path / "old.key"
        key.write_text("the county's existing key, 32 bytes long\n")
        res = runner.invoke(cli, ["db", "init", f"sqlite:///{tmp_path / 'x.db'}",
                                  "--generate-key", str(key)])
        assert 6 == res.exit_code, res.output
        assert str(key) in res.stderr and "never overwritten" in res.stderr
        assert "the county's existing key, 32 bytes long\n" == key.read_text()
        assert not (tmp_path / "x.db").exists()

    def test_refuses_an_existing_database(self, runner: CliRunner, tmp_path: Path) -> None:
        """db init refuses a database that exists, names cgov db upgrade, writes no key."""
        url, _key = _init(runner, tmp_path)
        res = runner.invoke(cli, ["db", "init", url, "--generate-key",
                                  str(tmp_path / "new.key")])
        assert 6 == res.exit_code
        assert "cgov db upgrade" in res.stderr
        assert not (tmp_path / "new.key").exists()


class TestOpeningASealedDatabase:
    def test_without_its_key_is_refused_naming_the_ways_to_give_it(
            self, runner: CliRunner, tmp_path: Path) -> None:
        """No key: exit 7, and the message says the database is sealed and how to give the
        key (--key-file, CGOV_KEY_FILE, CGOV_KEY)."""
        url, _key = _init(runner, tmp_path)
        res = runner.invoke(cli, ["report", "summary", "--db", url, "--json"])
        assert 7 == res.exit_code
        for word in ("sealed", "no key was given", "--key-file", "CGOV_KEY_FILE", "CGOV_KEY"):
            assert word in res.stderr
        assert "" == res.stdout
        assert "Traceback" not in res.output

    def test_with_another_key_is_refused_as_the_wrong_key(
            self, runner: CliRunner, tmp_path: Path) -> None:
        """Another key: exit 7, "wrong key", both fingerprints named."""
        url, key = _init(runner, tmp_path)
        other = tmp_path / "other.key"
        assert 0 == runner.invoke(cli, ["db", "init", f"sqlite:///{tmp_path / 'o.db'}",
                                        "--generate-key", str(other)]).exit_code
        res = runner.invoke(cli, ["report", "summary", "--db", url, "--key-file", str(other)])
        assert 7 == res.exit_code
        assert "wrong key" in res.stderr
        assert PersonalDataCipher(key.read_text().strip()).fingerprint in res.stderr

    @pytest.mark.parametrize("how", ["option", "CGOV_KEY_FILE", "CGOV_KEY"])
    def test_opens_with_the_key_from_a_file_or_the_environment(
            self, runner: CliRunner, tmp_path: Path, how: str) -> None:
        """--key-file, CGOV_KEY_FILE and CGOV_KEY each open the database."""
        url, key = _init(runner, tmp_path)
        args = ["report", "summary", "--db", url, "--json"]
        env: dict[str, str] = {}
        if how == "option":
            args += ["--key-file", str(key)]
        elif how == "CGOV_KEY_FILE":
            env["CGOV_KEY_FILE"] = str(key)
        else:
            env["CGOV_KEY"] = key.read_text().strip()
        res = runner.invoke(cli, args, env=env)
        assert 0 == res.exit_code, res.output
        assert 0 == json.loads(res.stdout)["residents"]


def test_the_demo_seals_its_database_with_a_key_made_next_to_it(
        runner: CliRunner, tmp_path: Path) -> None:
    """cgov demo yima writes yima.key beside yima.db (said on stderr), stores ID numbers
    encrypted, and later commands open it with that key only."""
    db = tmp_path / "yima.db"
    url = f"sqlite:///{db}"
    res = runner.invoke(cli, ["demo", "yima", "--db", url, "--scale", "0.01",
                              "--registry-only"])
    assert 0 == res.exit_code, res.output
    key = tmp_path / "yima.key"
    assert str(key) in res.stderr and "sealed" in res.stderr
    assert 0o600 == stat.S_IMODE(key.stat().st_mode)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT id_number FROM residents "
                                      "WHERE id_number IS NOT NULL")).scalars().all()
    engine.dispose()
    assert stored and all(s.startswith("enc2:") for s in stored)
    refused = runner.invoke(cli, ["report", "summary", "--db", url])
    assert 7 == refused.exit_code
    with cg.open(url, data_key=key.read_text().strip(), create=False) as gov:
        assert gov.registry.summary(cg.Actor.system("test")).residents >= len(stored)


def test_warns_when_the_key_file_is_readable_by_others(
        runner: CliRunner, tmp_path: Path) -> None:
    """A key file others may read still opens the database, with a warning on stderr that
    names the chmod fix."""
    url, key = _init(runner, tmp_path)
    key.chmod(0o644)
    res = runner.invoke(cli, ["report", "summary", "--db", url, "--key-file", str(key),
                              "--json"])
    assert 0 == res.exit_code, res.output
    assert f"chmod 600 {key}" in res.stderr
    json.loads(res.stdout)
