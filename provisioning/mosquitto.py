"""Mosquitto's password-file and ACL lines, written the way mosquitto_passwd and the broker read
them, so IT can provision many devices without running mosquitto_passwd for each."""

from __future__ import annotations

import base64
import hashlib
import secrets

ITERATIONS = 101  # mosquitto_passwd's default for its $7$ (PBKDF2-SHA512) format
SALT_BYTES = 12


def password_line(username: str, password: str, salt: bytes | None = None) -> str:
    """``user:$7$101$salt$hash``, as ``mosquitto_passwd -b`` writes it."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS)
    encoded_salt = base64.b64encode(salt).decode()
    encoded_hash = base64.b64encode(digest).decode()
    return f"{username}:$7${ITERATIONS}${encoded_salt}${encoded_hash}"


def device_acl(username: str, org: str, device_id: str) -> str:
    """A device may only write its own topics, and read nothing."""
    return f"user {username}\ntopic write hemassist/v1/{org}/{device_id}/#\n"


def reader_acl(username: str, org: str) -> str:
    """The dashboard's collector may read the organisation's topics, and write nothing."""
    return f"user {username}\ntopic read hemassist/v1/{org}/#\n"
