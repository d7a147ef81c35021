"""A small certificate authority for the municipal broker: CA, server and device certificates
(``cryptography``). Keys are EC P-256; files are PEM, private keys written with mode 0600."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MAX_PEM_BYTES = 1_000_000  # a certificate chain is a few kB


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def write(self, cert_path: Path, key_path: Path) -> None:
        cert_path.parent.mkdir(parents=True, exist_ok=True)
        key_path.parent.mkdir(parents=True, exist_ok=True)
        cert_path.write_bytes(self.cert_pem())
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(
                self.key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hemassist"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_ca(common_name: str = "hemassist test CA", days: int = 3650) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return Issued(cert, key)


def issue(
    ca: Issued,
    common_name: str,
    *,
    server_names: tuple[str, ...] = (),
    client: bool = False,
    not_before: datetime | None = None,
    days: int = 825,
) -> Issued:
    """A server certificate (with DNS/IP names) or a client certificate signed by ``ca``."""
    key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or datetime.now(UTC) - timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            critical=False,
        )
    )
    if server_names:
        alt: list[x509.GeneralName] = []
        for name in server_names:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alt.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


def load(cert_path: Path, key_path: Path) -> Issued:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{key_path} is not an EC private key")
    return Issued(cert, key)


def revocation_list(ca: Issued, serials: list[int], days: int = 30) -> bytes:
    """A CRL (PEM) of the given certificate serial numbers, signed by ``ca``."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=days))
    )
    for serial in serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        )
    crl = builder.sign(ca.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.PEM)


def issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    """Signed by this CA's key: a certificate of another CA with the same name is not."""
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def load_cert(path: Path) -> x509.Certificate:
    """One PEM certificate; ValueError saying what the file is instead."""
    data = path.read_bytes()[:MAX_PEM_BYTES]
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise ValueError(
            f"{path} is not a PEM certificate (it should begin with -----BEGIN CERTIFICATE-----)"
        )
    return x509.load_pem_x509_certificate(data)


def check_ca_file(path: Path) -> x509.Certificate:
    """The broker's CA as a device will use it: a PEM certificate that is a CA, not expired."""
    cert = load_cert(path)
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = constraints.ca
    except x509.ExtensionNotFound:
        is_ca = cert.issuer == cert.subject  # an old self-signed root without the extension
    if not is_ca:
        raise ValueError(
            f"{path} is a certificate, but not a CA's (it is {cert.subject.rfc4514_string()}): "
            "give the CA that signed the broker's certificate"
        )
    if cert.not_valid_after_utc < datetime.now(UTC):
        raise ValueError(f"{path}: the CA expired on {cert.not_valid_after_utc:%Y-%m-%d}")
    return cert


def check_key_pair(cert_path: Path, key_path: Path) -> None:
    """The client certificate and its private key belong together."""
    cert = load_cert(cert_path)
    data = key_path.read_bytes()[:MAX_PEM_BYTES]
    if b"PRIVATE KEY-----" not in data:
        raise ValueError(f"{key_path} is not a PEM private key")
    key = serialization.load_pem_private_key(data, password=None)
    mine = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    theirs = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if mine != theirs:
        raise ValueError(f"{key_path} is not the private key of {cert_path}")


def crl_next_update(path: Path) -> datetime | None:
    """When the revocation list at ``path`` runs out (the broker refuses clients after it)."""
    crl = x509.load_pem_x509_crl(path.read_bytes()[:MAX_PEM_BYTES])
    return crl.next_update_utc
