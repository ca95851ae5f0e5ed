"""Optional encryption at rest of ID and phone numbers, with look-ups by keyed hash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance as cg
from community_governance.errors import StorageError, ValidationError
from community_governance.storage.tables import core as t
from community_governance.testing.city import SmallCity, build_small_city

KEY = "义马市-county-secret-2026-do-not-share"


@pytest.fixture
def encrypted(tmp_path: Path) -> tuple[str, SmallCity]:
    url = f"sqlite:///{tmp_path / 'county.db'}"
    with cg.open(url, entrypoints=False, data_key=KEY) as gov:
        city = build_small_city(gov)
    return url, city


def test_the_database_holds_no_plain_number(encrypted: tuple[str, SmallCity],
                                            tmp_path: Path) -> None:
    """Stores tokens, not numbers: neither the columns nor the file bytes hold one."""
    url, city = encrypted
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.residents.c.id_number, t.residents.c.phone,
                                      t.residents.c.id_hash)).all()
    engine.dispose()
    assert len(rows) == 72
    assert all(r.id_number.startswith("enc2:") and r.phone.startswith("enc2:") for r in rows)
    plain = set(city.id_numbers.values())
    assert not plain & {r.id_number for r in rows} and not plain & {r.id_hash for r in rows}
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert not [n for n in plain if n.encode() in raw]
    assert b"13900000001" not in raw


def test_lookups_and_reveals_work_with_the_key(encrypted: tuple[str, SmallCity]) -> None:
    """Finds a resident by ID number and shows it in full to an entitled reader."""
    url, city = encrypted
    with cg.open(url, entrypoints=False, data_key=KEY) as gov:
        rid = "R0005"
        admin = city.county_admin
        assert gov.registry.find_by_id_number(admin, city.id_numbers[rid]).id == rid
        full = gov.registry.get_resident(admin, rid, reveal=True, reason="核对")
        assert full.id_number is not None and full.id_number.number == city.id_numbers[rid]
        assert full.phone == "13900000005"
        masked = gov.registry.get_resident(admin, rid)
        assert masked.phone == "139****0005"
        data = gov.privacy.export_own_data(cg.Actor.resident(rid), rid)
        assert data["resident"]["id_number"] == city.id_numbers[rid]
        gov.privacy.correct(cg.Actor.resident(rid), rid, phone="13700000000", reason="换号")
        assert gov.privacy.export_own_data(cg.Actor.resident(rid), rid)["resident"][
            "phone"] == "13700000000"


def test_a_wrong_or_missing_key_is_a_clear_error(encrypted: tuple[str, SmallCity]) -> None:
    """Refuses at open, naming 'wrong key' or the missing data_key, instead of returning junk;
    a database sealed before it recorded its key's fingerprint refuses a wrong key at open
    (checked against a sealed number, so the wrong key is never recorded) and a missing key on
    read."""
    url, city = encrypted
    with pytest.raises(cg.DataKeyError, match="wrong key"):
        cg.open(url, entrypoints=False, data_key="another-county-key-0000")
    with pytest.raises(cg.DataKeyError, match="data_key"):
        cg.open(url, entrypoints=False)
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # as if sealed before migration 0010
        conn.execute(sa.text("DELETE FROM database_settings"))
    engine.dispose()
    with pytest.raises(StorageError, match="wrong key"):  # checked against a sealed number
        cg.open(url, entrypoints=False, data_key="another-county-key-0000")
    with cg.open(url, entrypoints=False) as gov, pytest.raises(StorageError, match="data_key"):
        gov.registry.list_residents(city.county_admin)


def test_a_short_key_is_refused() -> None:
    """Refuses a key shorter than 16 bytes and says how to make one."""
    with pytest.raises(ValidationError, match=r"secrets\.token_urlsafe"):
        cg.open("memory://", entrypoints=False, data_key="short")


def test_without_a_key_lookups_still_use_the_hash(small_city: SmallCity, gov: Any) -> None:
    """Looks residents up by hash even when nothing is encrypted."""
    assert not gov.cipher.encrypts
    n = small_city.id_numbers["R0009"]
    assert gov.registry.find_by_id_number(small_city.county_admin, n).id == "R0009"
    with gov.store.unit_of_work(write=False) as uow:
        h = uow.conn.execute(sa.select(t.residents.c.id_hash).where(
            t.residents.c.id == "R0009")).scalar_one()
    assert h != n and len(h) == 64


def test_values_sealed_by_earlier_versions_still_open() -> None:
    """A Fernet token (``enc1:``, sealed before AES-GCM) opens with the same key; an AES-GCM
    value (``enc2:``) opened with another key is a clear "wrong key", as is a damaged one."""
    import base64
    import hashlib

    from cryptography.fernet import Fernet

    from community_governance.services.crypto import PersonalDataCipher

    key = "county-secret-0123456789"
    cipher = PersonalDataCipher(key)
    legacy = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"cgov-fernet" + key.encode())
                                             .digest()))
    old = "enc1:" + legacy.encrypt(b"41128119800101001X").decode()
    assert cipher.open(old) == "41128119800101001X"
    new = cipher.seal("13800000007")
    assert new is not None and new.startswith("enc2:") and "13800000007" not in new
    assert new != cipher.seal("13800000007")  # a fresh nonce each time
    assert cipher.open(new) == "13800000007"
    for bad in (new, old, new[:-4] + "AAAA"):
        other = PersonalDataCipher("another-secret-0123456789") if bad != new[:-4] + "AAAA" \
            else cipher
        with pytest.raises(StorageError, match="wrong key"):
            other.open(bad)
    with pytest.raises(StorageError, match="data_key"):
        PersonalDataCipher(None).open(new)


@pytest.mark.parametrize("key", [None, "county-secret-0123456789", "k" * 200])
def test_the_lookup_hash_is_hmac_sha256_of_the_hash_key(key: str | None) -> None:
    """The hash of a value is the standard HMAC-SHA256 (RFC 2104) under the hash key: with
    no key, a short one and one longer than SHA-256's block."""
    import hashlib
    import hmac

    from community_governance.services.crypto import _UNKEYED, PersonalDataCipher

    cipher = PersonalDataCipher(key)
    hash_key = _UNKEYED if key is None else hashlib.sha256(b"cgov-hmac" + key.encode()).digest()
    for value in ("41128119800101001X", "", "义马市" * 40):
        assert cipher.lookup_hash(value) == hmac.new(hash_key, value.encode(),
                                                     hashlib.sha256).hexdigest()
    # the long key itself (hashed first, as RFC 2104 asks) through the same construction
    from community_governance.services.crypto import _hmac_pads

    inner, outer = (p.copy() for p in _hmac_pads(b"x" * 100))
    inner.update(b"v")
    outer.update(inner.digest())
    assert outer.hexdigest() == hmac.new(b"x" * 100, b"v", hashlib.sha256).hexdigest()


def test_a_bulk_sealer_seals_like_seal_with_fresh_nonces() -> None:
    """Each value under its own random nonce (across several draws of the pool), in the
    stored form ``seal`` gives, and opened by ``open``; without a key, values as typed."""
    import base64

    from community_governance.services.crypto import NONCES_PER_DRAW, PersonalDataCipher

    cipher = PersonalDataCipher("county-secret-0123456789")
    seal = cipher.bulk_sealer()
    values = [f"1380000{i:04d}" for i in range(2 * NONCES_PER_DRAW + 5)]
    sealed = [seal(v) for v in values]
    assert seal(None) is None
    assert all(s is not None and s.startswith("enc2:") for s in sealed)
    assert [cipher.open(s) for s in sealed] == values
    nonces = [base64.urlsafe_b64decode(s[5:])[:12] for s in sealed if s]
    assert len(set(nonces)) == len(values)
    one = cipher.seal(values[0])
    assert one is not None and len(one) == len(sealed[0] or "")
    assert nonces[0] not in {base64.urlsafe_b64decode(s[5:])[:12]
                             for s in (seal(v) for v in values[:10]) if s}
    assert PersonalDataCipher(None).bulk_sealer()("13800000007") == "13800000007"
