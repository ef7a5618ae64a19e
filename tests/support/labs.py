"""The lab as a pytest fixture body: started, checked, stopped."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Optional

import pytest

from tests.lab import Lab


def running_lab(servers: Optional[Sequence[str]] = None, min_services: int = 0) -> Iterator[Lab]:
    """``yield from`` it in a fixture: these lab servers (all when None) running, or the
    test failing with the reason (not root, a server that did not start)."""
    if os.geteuid() != 0:
        pytest.fail("the lab needs root (servers on low ports, system users)")
    with Lab() as lab:
        lab.start_all(servers)
        if servers is not None:
            assert set(lab.servers) == set(servers), lab.skipped
        assert len(lab.services) >= min_services, lab.skipped
        yield lab
