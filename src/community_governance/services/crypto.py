"""Protection of personal data at rest: keyed hashes for look-ups, optional encryption.

When the county supplies a key (``open(url, data_key=...)``), ID numbers and phone numbers are
stored encrypted with AES-256-GCM (``cryptography``'s ``AESGCM``, a fresh 96-bit nonce per value;
stored as ``enc2:`` + URL-safe base64 of nonce and ciphertext) and looked up by a keyed hash
(HMAC-SHA256). Values sealed by earlier versions as Fernet tokens (``enc1:``, AES-128-CBC with
HMAC-SHA256) still open. GCM was chosen for speed: one reusable cipher object instead of a new
CBC context and HMAC per value (the demo seals 276,000 values; a bulk load seals through
:meth:`PersonalDataCipher.bulk_sealer`, which draws its random nonces 1,024 to a system call).
Without a key they are stored
as typed, and the hash is keyed with a fixed value, which still serves uniqueness and look-ups.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from community_governance.errors import (
    ConflictError,
    DataKeyError,
    StorageError,
    ValidationError,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["PersonalDataCipher", "check_sealing", "generate_key", "read_key_file",
           "write_key_file"]

#: how to give the key, for error messages
KEY_HELP = ("open(url, data_key=...) in Python; from cgov: --key-file PATH, or the environment "
            "variable CGOV_KEY_FILE=PATH (a file holding the key), or CGOV_KEY=<the key itself>")

_PREFIX = "enc1:"  # Fernet tokens (sealed before AES-GCM; still opened)
_GCM_PREFIX = "enc2:"  # AES-256-GCM: base64url(nonce 12 bytes + ciphertext and tag)
_UNKEYED = b"community-governance/unkeyed-lookup-hash/v1"
#: base64 to its URL-safe alphabet (what ``base64.urlsafe_b64encode`` does after encoding)
_URLSAFE = bytes.maketrans(b"+/", b"-_")
#: nonces a bulk sealer draws from one ``os.urandom`` call (12 bytes each)
NONCES_PER_DRAW = 1024


def _hmac_pads(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """The SHA-256 states of HMAC's inner and outer keyed blocks (RFC 2104): HMAC of a value
    is ``outer.update(inner.update(value).digest())``, on copies of them."""
    block = 64  # SHA-256's block size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in key)),
            hashlib.sha256(bytes(b ^ 0x5C for b in key)))


def _as_typed(value: str | None) -> str | None:
    return value


class PersonalDataCipher:
    """Seals and opens personal fields, and hashes them for look-ups.

    Args:
        key: the county's secret (at least 16 bytes), or ``None`` for no encryption.
    """

    def __init__(self, key: bytes | str | None = None) -> None:
        self._pads: tuple[hashlib._Hash, hashlib._Hash] | None = None
        self._fingerprint: str | None = None
        if key is None:
            self._fernet: Fernet | None = None
            self._gcm: AESGCM | None = None
            self._hash_key = _UNKEYED
            return
        raw = key.encode() if isinstance(key, str) else key
        if len(raw) < 16:
            raise ValidationError(
                "the data key must be at least 16 bytes; generate one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                path="data_key",
            )
        digest = hashlib.sha256(b"cgov-fernet" + raw).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        self._gcm = AESGCM(hashlib.sha256(b"cgov-aes-gcm" + raw).digest())
        self._hash_key = hashlib.sha256(b"cgov-hmac" + raw).digest()
        self._fingerprint = hashlib.sha256(b"cgov-key-fingerprint" + raw).hexdigest()[:16]

    @property
    def fingerprint(self) -> str | None:
        """A short public digest of the key (16 hex digits) that tells keys apart without
        revealing them; ``None`` without a key."""
        return self._fingerprint

    @property
    def encrypts(self) -> bool:
        """Whether values are encrypted at rest."""
        return self._fernet is not None

    def lookup_hash(self, value: str) -> str:
        """The keyed hash of ``value`` (hex): HMAC-SHA256 under the hash key."""
        pads = self._pads
        if pads is None:
            # the keyed states are computed once; copying them is cheap (the demo hashes
            # 138,000 numbers)
            pads = self._pads = _hmac_pads(self._hash_key)
        inner = pads[0].copy()
        inner.update(value.encode())
        outer = pads[1].copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def seal(self, value: str | None) -> str | None:
        """The stored form of ``value``."""
        if value is None or self._gcm is None:
            return value
        nonce = os.urandom(12)
        sealed = nonce + self._gcm.encrypt(nonce, value.encode(), None)
        # base64.urlsafe_b64encode's steps, without its wrappers
        return _GCM_PREFIX + binascii.b2a_base64(sealed, newline=False).translate(
            _URLSAFE).decode()

    def bulk_sealer(self) -> Callable[[str | None], str | None]:
        """A :meth:`seal` for a bulk load: the same stored forms, each under a fresh random
        96-bit nonce, the nonces drawn :data:`NONCES_PER_DRAW` at a time from one
        ``os.urandom`` call and each used once (fewer system calls for many values).

        Use it within one operation and one process, then drop it: its unused nonces must
        not be copied into another process (a fork), where they would be used twice.
        """
        gcm = self._gcm
        if gcm is None:
            return _as_typed
        encrypt = gcm.encrypt
        b2a = binascii.b2a_base64
        nonces: Iterator[bytes] = iter(())

        def seal(value: str | None) -> str | None:
            nonlocal nonces
            if value is None:
                return None
            nonce = next(nonces, None)
            if nonce is None:
                pool = os.urandom(12 * NONCES_PER_DRAW)
                nonces = iter([pool[i:i + 12] for i in range(0, len(pool), 12)])
                nonce = next(nonces)
            sealed = nonce + encrypt(nonce, value.encode(), None)
            return _GCM_PREFIX + b2a(sealed, newline=False).translate(_URLSAFE).decode()

        return seal

    def open(self, stored: str | None) -> str | None:
        """The plain value of a stored field."""
        if stored is None or not stored.startswith((_GCM_PREFIX, _PREFIX)):
            return stored
        if self._gcm is None or self._fernet is None:
            raise StorageError(
                "this database holds encrypted personal data; open it with the county's data_key"
            )
        try:
            if stored.startswith(_GCM_PREFIX):
                sealed = base64.urlsafe_b64decode(stored[len(_GCM_PREFIX):])
                return self._gcm.decrypt(sealed[:12], sealed[12:], None).decode()
            return self._fernet.decrypt(stored[len(_PREFIX):].encode()).decode()
        except (InvalidToken, InvalidTag, ValueError) as exc:
            raise StorageError(
                "the data key does not open this database's personal data: wrong key"
            ) from exc


_FINGERPRINT = "data_key_fingerprint"


def check_sealing(engine: sa.Engine, url: str, cipher: PersonalDataCipher) -> None:
    """Check the key given for ``url`` against the one that seals the database.

    A database opened with a key for the first time records the key's fingerprint (never the
    key): from then on it is *sealed*, and opening it without a key or with another key is
    refused. Numbers written before the key was first given stay as typed until rewritten.

    Raises:
        DataKeyError: the database is sealed and no key, or another key, was given.
    """
    import sqlalchemy as sa

    from community_governance.storage.tables.settings import database_settings as t

    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("database_settings"):
            return  # an old schema: ensure_ready refuses it before this is reached
        row = conn.execute(sa.select(t.c.value).where(t.c.name == _FINGERPRINT)).first()
    if row is not None:
        expected = str(row.value)
        if cipher.fingerprint is None:
            raise DataKeyError(
                f"{url} is sealed: its ID and phone numbers are encrypted with a county data "
                f"key (fingerprint {expected}), and no key was given; give the key file made "
                f"by cgov db init --generate-key: {KEY_HELP}",
                expected=expected, got=None)
        if cipher.fingerprint != expected:
            raise DataKeyError(
                f"{url} is sealed with the data key of fingerprint {expected}, but the key "
                f"given has fingerprint {cipher.fingerprint}: wrong key; give the key this "
                f"database was created with ({KEY_HELP})",
                expected=expected, got=cipher.fingerprint)
        return
    if cipher.fingerprint is not None:
        with engine.connect() as conn:  # sealed before fingerprints were recorded?
            sample = conn.execute(sa.text(
                "SELECT id_number FROM residents"
                " WHERE id_number LIKE 'enc1:%' OR id_number LIKE 'enc2:%' LIMIT 1"
            )).scalar()
        if sample is not None:
            cipher.open(str(sample))  # StorageError "wrong key" before anything is recorded
        try:
            with engine.begin() as conn:
                conn.execute(t.insert().values(name=_FINGERPRINT, value=cipher.fingerprint))
        except sa.exc.IntegrityError:  # another process sealed it at the same moment
            check_sealing(engine, url, cipher)


def generate_key() -> str:
    """A new random data key (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def write_key_file(path: Path) -> str:
    """Write a new data key to ``path``, readable and writable by its owner only (0600).

    Returns:
        The key.

    Raises:
        ConflictError: ``path`` exists (a key is never overwritten: data sealed with it would
            be lost).
        StorageError: the folder does not exist or cannot be written.
    """
    key = generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConflictError(
            f"{path} exists: a key file is never overwritten (data sealed with it would be "
            "lost); choose another path, or use the existing key with --key-file"
        ) from None
    except OSError as exc:
        raise StorageError(f"cannot write the key file {path}: {exc.strerror}; choose a "
                           "folder that exists and that you may write") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    os.chmod(path, 0o600)  # whatever the umask
    return key


def read_key_file(path: Path) -> str:
    """The data key held in ``path`` (surrounding whitespace dropped).

    Raises:
        StorageError: the file cannot be read or is empty.
    """
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise StorageError(f"the key file {path} does not exist; give the file made by "
                           "cgov db init --generate-key PATH") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StorageError(f"cannot read the key file {path}: {exc}") from None
    if not key:
        raise StorageError(f"the key file {path} is empty; give the file made by "
                           "cgov db init --generate-key PATH")
    return key
