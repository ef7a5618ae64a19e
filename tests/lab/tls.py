"""A throw-away self-signed certificate for the lab's TLS endpoints (made with openssl)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .process import LabError, run_checked

COMMON_NAME = "lab.fastprobe.test"


@dataclass(frozen=True)
class TlsFiles:
    cert: Path  # PEM certificate
    key: Path  # PEM private key (unencrypted, world-readable: a test key)
    combined: Path  # key + certificate in one PEM (lighttpd, mini_httpd)


def make_self_signed(directory: Path, days: int = 30) -> TlsFiles:
    """Write a fresh RSA-2048 self-signed certificate for COMMON_NAME into directory."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise LabError("openssl is not installed (scripts/install-lab-packages installs it)")
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    run_checked(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
            "-days", str(days), "-subj", f"/CN={COMMON_NAME}",
            "-addext", f"subjectAltName=DNS:{COMMON_NAME},DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        timeout=60,
    )  # fmt: skip
    combined = directory / "combined.pem"
    combined.write_bytes(key.read_bytes() + cert.read_bytes())
    for path in (cert, key, combined):
        path.chmod(0o644)
    return TlsFiles(cert=cert, key=key, combined=combined)
