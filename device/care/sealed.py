"""Care data sealed for one device and signed by the municipality, as it travels over the broker.

The broker (and every other device) sees only who a message is for and when the bundle was
exported. The bundle is compressed, encrypted to the device's own X25519 key (an ephemeral key
agreement, HKDF-SHA256, AES-256-GCM), and everything is signed with the municipality's Ed25519
publishing key. One message, in bytes::

    MAGIC (8) | header length (2, big-endian) | header (JSON) | ciphertext | signature (64)

The signature covers everything before it and is checked first; the header is the AES-GCM
associated data, so it can't be moved onto another ciphertext. ``open_sealed`` refuses anything
else with a ``Refused`` whose reason names the check (never a value from the message).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import stat
import zlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey as Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey as X25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from device.bounded import too_deep

MAGIC = b"HEMCARE\x01"
SIGNATURE_BYTES = 64
MAX_HEADER_BYTES = 1024  # the header is about 400 bytes
KDF_INFO = b"hemassist care bundle v1"
MAX_KEY_FILE_BYTES = 4096
ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
PUBLIC_KEY_PATTERN = r"^[A-Za-z0-9+/]{43}=$"  # 32 bytes, base64


def care_topic(org: str, device_id: str) -> str:
    """Its own root, so the dashboard's ``hemassist/v1/<org>/#`` never sees care messages and
    no device id can name a level that reaches another device's care topic."""
    return f"hemassist/care/v1/{org}/{device_id}"


class Reason(StrEnum):
    """Why a message was refused: what the log line and the status say."""

    OVERSIZED = "larger than delivery.max_message_mb"
    NOT_SEALED = "not a sealed care-data message"
    SIGNATURE = "not signed by the municipality's publishing key"
    HEADER = "its header is not valid"
    RECIPIENT = "addressed to another device"
    KEY = "sealed to another key than this device's"
    CURRENT = "the same export is already in use"
    NOT_NEWER = "older than the care data in use (replayed or rolled back)"
    TOO_BIG = "the bundle inside is larger than store.max_bundle_mb"
    UNREADABLE = "does not open with this device's key"
    BUNDLE = "the bundle inside is not valid"
    MISMATCH = "the bundle's export time differs from the signed one"
    STORE = "refused at import (see the line before: too old, or the store failed)"


class Refused(Exception):
    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason.value}{f' ({detail})' if detail else ''}")
        self.reason = reason


class Header(BaseModel):
    """The signed header: who the bundle is for and when it was exported, nothing personal."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    kind: Literal["hemassist-care-bundle"]
    version: int = Field(ge=1, le=1)  # not Literal[1]: that takes JSON true as 1
    org: str = Field(pattern=ID_PATTERN, max_length=64)
    to: str = Field(pattern=ID_PATTERN, max_length=64)
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")  # which of the device's keys it is sealed to
    exported: AwareDatetime
    published: AwareDatetime
    ephemeral: str = Field(pattern=PUBLIC_KEY_PATTERN)
    nonce: str = Field(pattern=r"^[A-Za-z0-9+/]{16}$")  # 12 bytes, base64
    size: int = Field(ge=1, le=2**31)  # bytes of the bundle once opened


@dataclass(frozen=True)
class Expect:
    """What this device accepts: its identity and keys, the limits, the export in use."""

    org: str
    device_id: str
    private_key: X25519PrivateKey
    publisher: Ed25519PublicKey
    max_message_bytes: int
    max_bundle_bytes: int
    in_use: datetime | None


@dataclass(frozen=True)
class Opened:
    header: Header
    bundle: bytes


# -- keys --------------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def raw_public(key: X25519PublicKey | Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_text(key: X25519PrivateKey | Ed25519PrivateKey) -> str:
    """The public half as one line of base64: care.pub, publisher.pub, delivery.publisher_key."""
    return b64(raw_public(key.public_key()))


def key_id(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:16]


def private_pem(key: X25519PrivateKey | Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def device_public(text: str) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(_public_bytes(text))


def publisher_public(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_public_bytes(text))


def _public_bytes(text: str) -> bytes:
    value = text.strip()
    if len(value) != 44:
        raise ValueError("a public key is 44 characters of base64 (32 bytes)")
    return base64.b64decode(value, validate=True)


def load_private(path: Path) -> X25519PrivateKey | Ed25519PrivateKey:
    """A private key file (PEM, PKCS#8): refused when others can read it, like the data key."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ValueError(f"{path} can be read by other users (mode {mode:04o}); chmod 600 {path}")
    if path.stat().st_size > MAX_KEY_FILE_BYTES:
        raise ValueError(f"{path} is not a key file (too large)")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, X25519PrivateKey | Ed25519PrivateKey):
        raise ValueError(f"{path} holds neither an X25519 nor an Ed25519 key")
    return key


def load_device_key(path: Path) -> X25519PrivateKey:
    key = load_private(path)
    if not isinstance(key, X25519PrivateKey):
        raise ValueError(f"{path} is not a device's care-data key (X25519)")
    return key


def load_publisher_key(path: Path) -> Ed25519PrivateKey:
    key = load_private(path)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not a publishing key (Ed25519)")
    return key


# -- sealing (IT's side) -----------------------------------------------------------------------


def seal(
    bundle: bytes,
    *,
    org: str,
    device_id: str,
    recipient: X25519PublicKey,
    exported: datetime,
    published: datetime,
    signer: Ed25519PrivateKey,
) -> bytes:
    """``bundle`` (the export's JSON bytes) as one signed message for ``device_id`` alone."""
    ephemeral = X25519PrivateKey.generate()  # a new one per message: forward secrecy per bundle
    nonce = secrets.token_bytes(12)
    recipient_raw = raw_public(recipient)
    header = Header(
        kind="hemassist-care-bundle",
        version=1,
        org=org,
        to=device_id,
        key_id=key_id(recipient_raw),
        exported=exported,
        published=published,
        ephemeral=b64(raw_public(ephemeral.public_key())),
        nonce=b64(nonce),
        size=len(bundle),
    )
    head = header.model_dump_json().encode()
    framed = MAGIC + len(head).to_bytes(2, "big") + head
    key = _derive(ephemeral.exchange(recipient), raw_public(ephemeral.public_key()), recipient_raw)
    body = AESGCM(key).encrypt(nonce, zlib.compress(bundle, 9), framed)
    signed = framed + body
    return signed + signer.sign(signed)


def _derive(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    # Both public keys in the info bind the key to this pair (no key-reuse surprises).
    kdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=KDF_INFO + ephemeral + recipient
    )
    return kdf.derive(shared)


# -- opening (the device's side) ---------------------------------------------------------------


def open_sealed(payload: bytes, expect: Expect) -> Opened:
    """Check, in order: size, framing, signature, header, recipient, freshness; then decrypt
    and decompress within the limits. Refused (with its reason) at the first check that fails."""
    if len(payload) > expect.max_message_bytes:
        raise Refused(Reason.OVERSIZED, f"{len(payload):,} bytes")
    floor = len(MAGIC) + 2 + SIGNATURE_BYTES + 16
    if len(payload) < floor or not payload.startswith(MAGIC):
        raise Refused(Reason.NOT_SEALED)
    head_len = int.from_bytes(payload[len(MAGIC) : len(MAGIC) + 2], "big")
    body_at = len(MAGIC) + 2 + head_len
    if head_len > MAX_HEADER_BYTES or body_at + 16 > len(payload) - SIGNATURE_BYTES:
        raise Refused(Reason.NOT_SEALED, "header length")
    signed, signature = payload[:-SIGNATURE_BYTES], payload[-SIGNATURE_BYTES:]
    try:  # before anything in the message is believed
        expect.publisher.verify(signature, signed)
    except InvalidSignature:
        raise Refused(Reason.SIGNATURE) from None
    header = _header(payload[len(MAGIC) + 2 : body_at])
    if header.org != expect.org or header.to != expect.device_id:
        raise Refused(Reason.RECIPIENT)
    mine = raw_public(expect.private_key.public_key())
    if header.key_id != key_id(mine):
        raise Refused(Reason.KEY)
    if expect.in_use is not None and header.exported == expect.in_use:
        raise Refused(Reason.CURRENT)  # the retained copy again, after a reconnect
    if expect.in_use is not None and header.exported < expect.in_use:
        raise Refused(Reason.NOT_NEWER)
    if header.size > expect.max_bundle_bytes:
        raise Refused(Reason.TOO_BIG, f"{header.size:,} bytes")
    ephemeral = base64.b64decode(header.ephemeral)
    try:
        key = _derive(
            expect.private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral)),
            ephemeral,
            mine,
        )
        packed = AESGCM(key).decrypt(
            base64.b64decode(header.nonce), signed[body_at:], signed[:body_at]
        )
    except (InvalidTag, ValueError):
        raise Refused(Reason.UNREADABLE) from None
    return Opened(header, _inflate(packed, header.size))


def _header(raw: bytes) -> Header:
    if too_deep(raw, 2):  # the header is one flat object
        raise Refused(Reason.HEADER, "nested")
    try:
        return Header.model_validate_json(raw)
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) if e["loc"] else "(header)" for e in exc.errors()})
        raise Refused(Reason.HEADER, "fields: " + ", ".join(fields[:5])) from None


def _inflate(packed: bytes, size: int) -> bytes:
    """Decompress to exactly ``size`` bytes, never more (a small message can't become a bomb)."""
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(packed, size + 1)
    except zlib.error:
        raise Refused(Reason.BUNDLE, "not compressed as expected") from None
    if len(data) != size or not inflater.eof or inflater.unused_data:
        raise Refused(Reason.BUNDLE, "its size differs from the signed one")
    return data


def write_private(path: Path, key: X25519PrivateKey | Ed25519PrivateKey) -> None:
    """A new private key file, mode 0600 from the start; never replaces one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, private_pem(key))
        os.fsync(fd)
    finally:
        os.close(fd)
