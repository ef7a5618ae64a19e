"""Certificate facts from DER; anything else is a CertError, never a crash."""

from __future__ import annotations

import contextlib
import random

import pytest

from fastprobe.engine.x509 import CertError, cert_facts


@pytest.mark.parametrize("seed", range(200))
def test_garbage_is_a_cert_error(seed: int) -> None:
    rnd = random.Random(seed)
    data = bytes([0x30, 0x82, 0x01, 0x00]) + bytes(rnd.randrange(256) for _ in range(300))
    with contextlib.suppress(CertError):
        cert_facts(data)


def test_empty_and_short_input() -> None:
    for data in (b"", b"\x30", b"\x30\x03\x02\x01\x00", b"\x30\x84\xff\xff\xff\xff"):
        with pytest.raises(CertError):
            cert_facts(data)
