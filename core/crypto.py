"""Encryption at rest for the sensitive fields of a case (channel address, triage, messages).

`SAPHAN_ENCRYPTION_KEY` holds one or more keys, comma-separated: the first encrypts, every one
decrypts, so a key is rotated by putting the new one first and running `./saphan rotate-key`
(which re-encrypts every stored field with it) before the old one is removed. Each key is any
long random string; the Fernet key (AES-128-CBC with HMAC-SHA256) is derived from it.

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class UnreadableField(ValueError):
    """A stored field that none of the configured keys decrypts."""


class Sealer:
    """Encrypts and decrypts text fields with the configured keys."""

    def __init__(self, keys: str) -> None:
        secrets = [key.strip() for key in keys.split(",") if key.strip()]
        if not secrets:
            raise ValueError("SAPHAN_ENCRYPTION_KEY is not set")
        self._fernet = MultiFernet([Fernet(_fernet_key(secret)) for secret in secrets])

    def seal(self, text: str) -> str:
        """`text` encrypted with the first key."""
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        """The text of a sealed field.

        Raises:
            UnreadableField: no configured key decrypts it (a removed key, or tampering).
        """
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise UnreadableField("no configured key decrypts this field") from None

    def reseal(self, sealed: str) -> str:
        """A sealed field re-encrypted with the first key (for key rotation)."""
        try:
            return self._fernet.rotate(sealed.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise UnreadableField("no configured key decrypts this field") from None


def _fernet_key(secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode("utf-8")).digest())
