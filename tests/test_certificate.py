"""The appliance's TLS certificate: checked uploads, one store for HTTPS and SIP."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from agent.errors import InvalidInput
from agent.security.certificates import parse_upload
from tests.test_sip_tls import presented_certificate
from tests.webclient import api_client

NOW = dt.datetime.now(dt.UTC)


def make_pair(
    key=None,
    name: str = "pbx.example.com",
    not_before: dt.datetime = NOW - dt.timedelta(days=1),
    not_after: dt.datetime = NOW + dt.timedelta(days=90),
    passphrase: bytes | None = None,
) -> tuple[str, str]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def test_a_good_pair_is_accepted():
    cert, key = make_pair()
    chain, _ = parse_upload(cert, key)
    assert chain[0].subject.rfc4514_string() == "CN=pbx.example.com"


@pytest.mark.parametrize(
    ("pair", "field", "rule"),
    [
        (lambda: (make_pair()[0], make_pair()[1]), "private_key", "does not belong"),
        (
            lambda: make_pair(not_after=NOW - dt.timedelta(days=1)),
            "certificate",
            "has expired",
        ),
        (
            lambda: make_pair(key=rsa.generate_private_key(65537, 1024)),
            "private_key",
            "at least 2048 bits",
        ),
        (lambda: make_pair(passphrase=b"secret"), "private_key", "passphrase"),
        (lambda: ("not a certificate", make_pair()[1]), "certificate", "PEM"),
        (lambda: (make_pair()[0], ""), "private_key", "required"),
    ],
)
def test_a_bad_upload_is_refused_naming_the_field(pair, field, rule):
    cert, key = pair()
    with pytest.raises(InvalidInput) as refused:
        parse_upload(cert, key)
    assert refused.value.field == field
    assert rule in str(refused.value)


def test_an_uploaded_certificate_serves_https_and_sip_tls_after_a_restart(
    pbx, tmp_path
):
    made = presented_certificate(pbx.sip_tls_port)
    cert, key = make_pair()
    operator = api_client(pbx, "operator").get("/api/v1/certificate")
    admin = api_client(pbx, "administrator")
    before = admin.get("/api/v1/certificate").json()
    bad = admin.request(
        "PUT", "/api/v1/certificate", json_body={"certificate": cert, "private_key": ""}
    )
    uploaded = admin.request(
        "PUT",
        "/api/v1/certificate",
        json_body={"certificate": cert, "private_key": key},
    )
    # The test client trusts the file in the store, which is now the new one,
    # while the running daemons still present the old: ask the CLI instead.
    shown = pbx.cli("certificate", "show", "--json").json()

    assert operator.status == 403
    assert before["uploaded"] is False and "127.0.0.1" in before["names"]
    assert bad.status == 422 and bad.json()["field"] == "private_key"
    assert uploaded.status == 200
    assert presented_certificate(pbx.sip_tls_port) == made
    assert shown["uploaded"] is True and shown["names"] == ["pbx.example.com"]

    pbx.stop()
    pbx.start()
    expected = x509.load_pem_x509_certificate(cert.encode()).public_bytes(
        serialization.Encoding.DER
    )
    # Kept although it does not name 127.0.0.1: it is the administrator's.
    assert presented_certificate(pbx.sip_tls_port) == expected
    assert presented_certificate(pbx.https_port) == expected
    listed = pbx.cli("certificate", "show", "--json").json()
    assert listed["fingerprint_sha256"] == shown["fingerprint_sha256"]


def test_the_cli_installs_a_certificate_from_files(pbx_data, tmp_path):
    cert, key = make_pair(name="voice.example.org")
    (tmp_path / "c.pem").write_text(cert)
    (tmp_path / "k.pem").write_text(key)
    (tmp_path / "other.pem").write_text(make_pair()[1])

    refused = pbx_data.cli(
        "certificate", "upload", str(tmp_path / "c.pem"), str(tmp_path / "other.pem")
    )
    installed = pbx_data.cli(
        "certificate", "upload", str(tmp_path / "c.pem"), str(tmp_path / "k.pem"),
        "--json",
    )  # fmt: skip
    shown = pbx_data.cli("certificate", "show", "--json").json()

    assert refused.returncode == 2 and "does not belong" in refused.stderr
    assert installed.returncode == 0, installed.stderr
    assert "next start" in installed.json()["takes_effect"]
    assert shown["subject"] == "CN=voice.example.org" and shown["uploaded"]
