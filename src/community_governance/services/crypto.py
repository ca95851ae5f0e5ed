"""Protection of personal data at rest: keyed hashes for look-ups, optional encryption.

When the county supplies a key (``open(url, data_key=...)``), ID numbers and phone numbers are
stored as Fernet tokens (AES-128-CBC with HMAC-SHA256, from ``cryptography``) and looked up by a
keyed hash (HMAC-SHA256). Without a key they are stored as typed, and the hash is keyed with a
fixed value, which still serves uniqueness and look-ups.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

from community_governance.errors import StorageError, ValidationError

__all__ = ["PersonalDataCipher"]

_PREFIX = "enc1:"
_UNKEYED = b"community-governance/unkeyed-lookup-hash/v1"


class PersonalDataCipher:
    """Seals and opens personal fields, and hashes them for look-ups.

    Args:
        key: the county's secret (at least 16 bytes), or ``None`` for no encryption.
    """

    def __init__(self, key: bytes | str | None = None) -> None:
        self._mac: hmac.HMAC | None = None
        if key is None:
            self._fernet: Fernet | None = None
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
        self._hash_key = hashlib.sha256(b"cgov-hmac" + raw).digest()

    @property
    def encrypts(self) -> bool:
        """Whether values are encrypted at rest."""
        return self._fernet is not None

    def lookup_hash(self, value: str) -> str:
        """The keyed hash of ``value`` (hex)."""
        mac = self._mac
        if mac is None:
            mac = self._mac = hmac.new(self._hash_key, digestmod=hashlib.sha256)
        h = mac.copy()  # the keyed state is computed once; copying it is cheap
        h.update(value.encode())
        return h.hexdigest()

    def seal(self, value: str | None) -> str | None:
        """The stored form of ``value``."""
        if value is None or self._fernet is None:
            return value
        return _PREFIX + self._fernet.encrypt(value.encode()).decode()

    def open(self, stored: str | None) -> str | None:
        """The plain value of a stored field."""
        if stored is None or not stored.startswith(_PREFIX):
            return stored
        if self._fernet is None:
            raise StorageError(
                "this database holds encrypted personal data; open it with the county's data_key"
            )
        try:
            return self._fernet.decrypt(stored[len(_PREFIX):].encode()).decode()
        except InvalidToken as exc:
            raise StorageError(
                "the data key does not open this database's personal data: wrong key"
            ) from exc
