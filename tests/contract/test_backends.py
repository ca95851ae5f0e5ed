"""The storage contract suite on every built-in backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from community_governance.testing.contract import StorageContract


class TestMemory(StorageContract):
    """memory:// passes the contract."""

    @pytest.fixture
    def cgov_url(self) -> Iterator[str]:
        yield "memory://"


class TestSqlite(StorageContract):
    """sqlite:/// passes the contract."""

    @pytest.fixture
    def cgov_url(self, tmp_path: Path) -> Iterator[str]:
        yield f"sqlite:///{tmp_path / 'contract.db'}"


@pytest.mark.postgres
class TestPostgres(StorageContract):
    """postgresql:// passes the contract (needs CGOV_TEST_POSTGRES_URL)."""

    @pytest.fixture
    def cgov_url(self, postgres_url: str) -> Iterator[str]:
        yield postgres_url
