"""The web admin's self-signed TLS certificate, made on the first start.

A box on an office LAN has no public name a CA would certify, so the
appliance makes its own certificate for the addresses it serves. Browsers
warn once; the fingerprint the banner prints lets a careful person check
it. The key never leaves ``certs/`` (mode 0600).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from agent.security.certificates import is_uploaded, uploaded_marker
from agent.settings import Settings

log = logging.getLogger("edgepbx.web")

# Apple platforms refuse TLS server certificates valid for longer than 825
# days even when a person trusts them by hand; stay inside that.
VALIDITY_DAYS = 825
# Made anew this long before it expires, at an agent start.
RENEW_BEFORE_DAYS = 30
# Allow for a device clock a little behind the browser's.
BACKDATE = dt.timedelta(hours=1)
ORGANIZATION = "edgepbx appliance"


def _addresses(
    settings: Settings,
) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    addresses = [ipaddress.ip_address(settings.bind)]
    for loopback in ("127.0.0.1", "::1"):
        address = ipaddress.ip_address(loopback)
        if address not in addresses:
            addresses.append(address)
    return [a for a in addresses if not a.is_unspecified]


def _names(settings: Settings) -> list[str]:
    names = ["localhost"]
    domain = settings.sip_domain_override
    if domain and not _is_ip(domain) and domain not in names:
        names.insert(0, domain)
    return names


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _still_good(settings: Settings) -> bool:
    """True if the certificate exists, is not near expiry, and names our address."""
    if not settings.https_certificate.exists() or not settings.https_key.exists():
        return False
    cert = x509.load_pem_x509_certificate(settings.https_certificate.read_bytes())
    renew_at = cert.not_valid_after_utc - dt.timedelta(days=RENEW_BEFORE_DAYS)
    if is_uploaded(settings):
        # An administrator's own certificate is kept until it has expired,
        # whatever it names; renewing it is theirs to do.
        return dt.datetime.now(dt.UTC) < cert.not_valid_after_utc
    if dt.datetime.now(dt.UTC) >= renew_at:
        return False
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    covered = set(san.get_values_for_type(x509.IPAddress))
    covered |= {
        ipaddress.ip_address(n)
        for n in san.get_values_for_type(x509.DNSName)
        if _is_ip(n)
    }
    return set(_addresses(settings)) <= covered and set(_names(settings)) <= set(
        san.get_values_for_type(x509.DNSName)
    )


def _write_private(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def ensure_certificate(settings: Settings) -> Path:
    """Make the key and certificate unless good ones exist; return the cert."""
    if _still_good(settings):
        return settings.https_certificate
    settings.certs_dir.mkdir(parents=True, exist_ok=True)
    # P-256: every browser speaks it, and signing is cheap on a Pi.
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, _names(settings)[0]),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in _names(settings)]
    alt_names += [x509.IPAddress(a) for a in _addresses(settings)]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + dt.timedelta(days=VALIDITY_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(settings.https_key, key_pem)
    _write_private(
        settings.https_certificate, cert.public_bytes(serialization.Encoding.PEM)
    )
    uploaded_marker(settings).unlink(missing_ok=True)
    settings.https_certificate.chmod(0o644)
    log.info("web admin: new certificate, SHA-256 %s", fingerprint(settings))
    return settings.https_certificate


def fingerprint(settings: Settings) -> str:
    """SHA-256 fingerprint of the certificate, as browsers show it."""
    cert = x509.load_pem_x509_certificate(settings.https_certificate.read_bytes())
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
