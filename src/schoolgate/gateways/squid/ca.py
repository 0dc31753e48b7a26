"""The school's own certificate authority, for HTTPS interception (`schoolgate ca init`).

With interception on, Squid opens each HTTPS connection and shows the browser a certificate for the
site that it makes on the spot and signs with this CA; devices trust it because the school installs
the CA's certificate on them (docs/squid.md says how, device by device). The CA's key never leaves
the proxy.

A directory made by `init_ca` holds:

- `ca.pem`: the CA certificate (PEM), for Squid, Chromebooks, Linux and Firefox;
- `ca.der`: the same certificate in DER form (`.cer`), for Windows group policy, iPads and Macs;
- `ca.key`: the CA's private key (PEM, unencrypted: Squid reads it unattended), readable by root and
  Squid's group only.

`issue` makes a certificate signed by the CA for given host names: for a server of the school's own
(the block page over HTTPS, say) that devices should trust.
"""

from __future__ import annotations

import datetime
import grp
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["CA_CERT", "CA_DER", "CA_KEY", "CAError", "CertificateAuthority", "init_ca", "issue", "load_ca"]

CA_CERT = "ca.pem"
CA_DER = "ca.der"
CA_KEY = "ca.key"
CA_YEARS = 10
SERVER_DAYS = 825  # the most that browsers accept for a server certificate


class CAError(ValueError):
    """The CA cannot be made or read; the message says why and what to do."""


@dataclass(frozen=True)
class CertificateAuthority:
    directory: Path
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def cert_path(self) -> Path:
        return self.directory / CA_CERT

    @property
    def key_path(self) -> Path:
        return self.directory / CA_KEY

    def fingerprint(self) -> str:
        """SHA-256 fingerprint, as devices show it (AB:CD:...)."""
        return self.certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, mode)  # whatever the umask


def init_ca(directory: Path, school: str, group: str | None = "proxy") -> CertificateAuthority:
    """Make a new CA in `directory` (created if need be; it must not hold a CA already). The key is
    made readable by `group` (Squid's) when that group exists and this process may give it."""
    directory.mkdir(parents=True, exist_ok=True)
    for file in (CA_CERT, CA_DER, CA_KEY):
        if (directory / file).exists():
            raise CAError(
                f"{directory / file} exists already: a new CA would stop every device that trusts the "
                "old one from trusting the proxy. Remove the directory's files first if that is meant."
            )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{school} web filter (Schoolgate)"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, school[:64] or "School"),
        ]
    )
    now = _now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(directory / CA_KEY, key_pem, 0o600)
    _write(directory / CA_CERT, certificate.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(directory / CA_DER, certificate.public_bytes(serialization.Encoding.DER), 0o644)
    if group is not None:
        try:
            gid = grp.getgrnam(group).gr_gid
            os.chown(directory / CA_KEY, -1, gid)
            os.chmod(directory / CA_KEY, 0o640)
        except (KeyError, PermissionError):
            pass  # no such group here, or not root: the key stays the owner's alone
    return CertificateAuthority(directory, certificate, key)


def load_ca(directory: Path) -> CertificateAuthority:
    try:
        certificate = x509.load_pem_x509_certificate((directory / CA_CERT).read_bytes())
        key = serialization.load_pem_private_key((directory / CA_KEY).read_bytes(), password=None)
    except OSError as exc:
        raise CAError(f"cannot read the CA in {directory}: {exc} (`schoolgate ca init` makes one)") from None
    except ValueError as exc:
        raise CAError(f"{directory} does not hold a usable CA: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CAError(f"{directory / CA_KEY} is not an RSA key")
    return CertificateAuthority(directory, certificate, key)


def issue(ca: CertificateAuthority, names: list[str]) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) for a server answering to `names` (host names or IP addresses)."""
    if not names:
        raise CAError("give at least one host name")
    alternatives: list[x509.GeneralName] = []
    for name in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = _now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0][:64])]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem
