"""The appliance's TLS certificate: shown, and replaced by an uploaded one.

One certificate store (``certs/web.crt`` and ``certs/web.key``) serves both
the web admin's HTTPS and SIP over TLS. The agent makes a self-signed
certificate there on the first start (``agent.web.certificate``); an
administrator may upload one signed by a CA the phones trust instead. An
uploaded certificate is marked as such, so the agent never replaces it with
a self-signed one, even when it does not name the appliance's address.

Known shortcoming: Kamailio and gunicorn read the certificate when they
start, so an upload takes effect at the next start of the appliance (or of
those daemons); the service says so in its answer.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.errors import InvalidInput
from agent.settings import Settings

# NIST SP 800-57 part 1: RSA below 2048 bits is no longer acceptable.
MIN_RSA_BITS = 2048
# An upload is a certificate chain and a key, a few kilobytes at most.
MAX_PEM_BYTES = 64 * 1024
UPLOADED_MARKER = "web.uploaded"


def uploaded_marker(settings: Settings) -> Path:
    return settings.certs_dir / UPLOADED_MARKER


def is_uploaded(settings: Settings) -> bool:
    return uploaded_marker(settings).exists()


def stored_leaf_der(settings: Settings) -> bytes:
    """The appliance's own certificate in the store (first of its chain), DER."""
    chain = x509.load_pem_x509_certificates(settings.https_certificate.read_bytes())
    return chain[0].public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    issuer: str
    names: list[str]
    not_before: str
    not_after: str
    fingerprint_sha256: str
    uploaded: bool

    def to_dict(self) -> dict:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "names": list(self.names),
            "not_before": self.not_before,
            "not_after": self.not_after,
            "fingerprint_sha256": self.fingerprint_sha256,
            "uploaded": self.uploaded,
            "used_by": ["web-https", "sip-tls"],
        }


def describe(cert: x509.Certificate, uploaded: bool) -> CertificateInfo:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = [str(v) for v in san.value.get_values_for_type(x509.DNSName)]
        names += [str(v) for v in san.value.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = []
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        names=names,
        not_before=cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        not_after=cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        fingerprint_sha256=":".join(
            digest[i : i + 2] for i in range(0, len(digest), 2)
        ),
        uploaded=uploaded,
    )


def _text(value: str | bytes, field: str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    if not data.strip():
        raise InvalidInput(field, None, "required, in PEM form")
    if len(data) > MAX_PEM_BYTES:
        raise InvalidInput(field, None, f"at most {MAX_PEM_BYTES} bytes")
    return data


def parse_upload(
    certificate_pem: str | bytes, key_pem: str | bytes, now: dt.datetime | None = None
) -> tuple[list[x509.Certificate], object]:
    """Check an uploaded chain and key; return them, or raise naming the field.

    The first certificate is the appliance's own, any others its chain. The
    key must be unencrypted, strong enough, and the certificate's own.
    """
    now = now or dt.datetime.now(dt.UTC)
    try:
        chain = x509.load_pem_x509_certificates(_text(certificate_pem, "certificate"))
    except ValueError:
        raise InvalidInput(
            "certificate", None, "a PEM certificate (-----BEGIN CERTIFICATE-----)"
        ) from None
    try:
        key = serialization.load_pem_private_key(
            _text(key_pem, "private_key"), password=None
        )
    except TypeError:
        raise InvalidInput(
            "private_key", None, "must not be protected by a passphrase"
        ) from None
    except ValueError:
        raise InvalidInput(
            "private_key", None, "a PEM private key (-----BEGIN PRIVATE KEY-----)"
        ) from None

    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise InvalidInput(
                "private_key", None, f"an RSA key of at least {MIN_RSA_BITS} bits"
            )
    elif not isinstance(key, ec.EllipticCurvePrivateKey):
        raise InvalidInput("private_key", None, "an RSA or elliptic-curve key")

    leaf = chain[0]
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if key.public_key().public_bytes(der, public) != leaf.public_key().public_bytes(
        der, public
    ):
        raise InvalidInput(
            "private_key", None, "does not belong to the certificate uploaded"
        )
    if leaf.not_valid_after_utc <= now:
        raise InvalidInput("certificate", None, "has expired")
    if leaf.not_valid_before_utc > now:
        raise InvalidInput("certificate", None, "is not valid yet")
    return chain, key


def _write(path: Path, content: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class CertificateService:
    def __init__(self, settings: Settings, actor: Principal) -> None:
        self.settings = settings
        self.actor = actor

    def show(self) -> CertificateInfo | None:
        """The certificate in the store, or None before the first start."""
        self.actor.require(Permission.VIEW_SECURITY)
        path = self.settings.https_certificate
        if not path.exists():
            return None
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        return describe(cert, is_uploaded(self.settings))

    def upload(self, certificate_pem: str | bytes, key_pem: str | bytes) -> dict:
        """Replace the certificate and key; nothing changes if either is bad."""
        self.actor.require(Permission.MANAGE_SECURITY)
        chain, key = parse_upload(certificate_pem, key_pem)
        before = self.show()

        key_bytes = key.private_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        chain_bytes = b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in chain
        )
        self.settings.certs_dir.mkdir(parents=True, exist_ok=True)
        # Key first: a certificate never sits next to a key not its own for
        # longer than the two renames take.
        _write(self.settings.https_key, key_bytes, 0o600)
        _write(self.settings.https_certificate, chain_bytes, 0o644)
        _write(uploaded_marker(self.settings), b"uploaded\n", 0o644)

        info = describe(chain[0], True)
        audit.record(
            self.actor,
            "upload",
            "certificate",
            "tls",
            before={"fingerprint_sha256": before.fingerprint_sha256}
            if before
            else None,
            after={"fingerprint_sha256": info.fingerprint_sha256},
        )
        return info.to_dict() | {
            "takes_effect": "at the next start of the web admin and the SIP core"
        }
