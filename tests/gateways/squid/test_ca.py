"""`schoolgate ca init` and `ca issue`: the school's CA for HTTPS interception."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography import x509

from schoolgate.cli import main
from schoolgate.gateways.squid.ca import CAError, init_ca, issue, load_ca


def test_a_new_ca_is_a_ca_with_its_key_kept_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "ca"
    assert main(["ca", "init", "--dir", str(directory), "--school", "Hill Primary"]) == 0
    out = capsys.readouterr().out
    ca = load_ca(directory)
    assert ca.fingerprint() in out
    assert "docs/squid.md" in out
    certificate = x509.load_der_x509_certificate((directory / "ca.der").read_bytes())
    assert certificate == ca.certificate
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert "Hill Primary" in certificate.subject.rfc4514_string()
    mode = stat.S_IMODE((directory / "ca.key").stat().st_mode)
    assert mode & 0o007 == 0  # nobody else can read the key
    assert stat.S_IMODE((directory / "ca.pem").stat().st_mode) == 0o644


def test_a_second_init_keeps_the_ca_devices_trust(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    init_ca(tmp_path, "Hill Primary", group=None)
    before = (tmp_path / "ca.pem").read_bytes()
    assert main(["ca", "init", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "exists already" in err
    assert "Traceback" not in err
    assert (tmp_path / "ca.pem").read_bytes() == before


def test_an_issued_certificate_is_signed_by_the_ca(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = init_ca(tmp_path / "ca", "Hill Primary", group=None)
    out = tmp_path / "filter"
    assert (
        main(["ca", "issue", "filter.school.test", "10.0.0.5", "--dir", str(ca.directory), "--out", str(out)])
        == 0
    )
    certificate = x509.load_pem_x509_certificate(Path(f"{out}.pem").read_bytes())
    certificate.verify_directly_issued_by(ca.certificate)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["filter.school.test"]
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["10.0.0.5"]
    assert stat.S_IMODE(Path(f"{out}.key").stat().st_mode) == 0o600


def test_a_missing_ca_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ca", "issue", "x.test", "--dir", str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    assert "schoolgate ca init" in capsys.readouterr().err
    with pytest.raises(CAError, match="at least one"):
        issue(init_ca(tmp_path / "ca", "S", group=None), [])


def test_issue_never_writes_a_key_over_another_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = init_ca(tmp_path / "ca", "Hill Primary", group=None)
    (tmp_path / "x.key").write_text("someone's file\n")
    os.chmod(tmp_path / "x.key", 0o644)
    assert main(["ca", "issue", "x.test", "--dir", str(ca.directory), "--out", str(tmp_path / "x")]) == 2
    assert "exists already" in capsys.readouterr().err
    assert (tmp_path / "x.key").read_text() == "someone's file\n"
    (tmp_path / "y.key").symlink_to(tmp_path / "elsewhere")
    assert main(["ca", "issue", "x.test", "--dir", str(ca.directory), "--out", str(tmp_path / "y")]) == 2
    assert not (tmp_path / "elsewhere").exists()
