"""The data-encryption key file and AES-GCM sealing of care records (``cryptography``).

The key is 32 random bytes in a file of mode 0600, created on first use (or by provisioning).
Destroying the file makes the store unreadable: that is how a device is wiped.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12


class KeyFileError(Exception):
    """The key file is missing, unsafe or wrong; the message says what to do."""


class DecryptError(Exception):
    """A record doesn't open with this key: the key was replaced or the store was tampered with."""


def create_key(path: Path) -> None:
    """Write a new random key; refuses to overwrite an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"key file {path} already exists; not replacing it") from None
    try:
        os.write(fd, secrets.token_bytes(KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)


def load_key(path: Path, create: bool = False) -> bytes:
    """Read the key, creating it first when allowed; checks size and permissions."""
    if not path.exists():
        if not create:
            raise KeyFileError(f"key file {path} is missing: no care data can be read")
        create_key(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(
            f"key file {path} can be read by other users (mode {mode:04o}); run: chmod 600 {path}"
        )
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"key file {path} is damaged (wrong length)")
    return key


class Sealer:
    """AES-256-GCM with a fresh random nonce per record; ``context`` is authenticated."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, context)

    def open(self, sealed: bytes, context: bytes) -> bytes:
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
        except InvalidTag:
            raise DecryptError(
                "the care-data store does not open with this key (replaced key or damaged store)"
            ) from None
