"""What a sample is: a reply, the probe it answers, what the pack must say of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional


@dataclass(frozen=True)
class Expect:
    """The verdict the pack's rule must give; a field left None must come out empty."""

    service: str
    product: Optional[str] = None
    version: Optional[str] = None
    extrainfo: Optional[str] = None
    hostname: Optional[str] = None
    ostype: Optional[str] = None
    devicetype: Optional[str] = None
    cpe: tuple[str, ...] = ()


@dataclass(frozen=True)
class Built:
    """A reply built from a protocol's documentation, for a service that cannot run here.

    ``source`` names the document and section the bytes follow; it is written into the
    ``#@example`` line, so that the sample is labelled as built, not recorded.
    """

    name: str
    probe: str
    reply: bytes
    expect: Expect
    source: str
    protocol: str = "TCP"
    tags: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Recording:
    """A reply to record from a server of the lab (tests/lab).

    ``expect`` fields may use ``{upstream}`` and ``{revision}``: the upstream version
    and the Debian revision of the server's installed package, so that the expected
    version comes from the package, not from the rule under test.
    ``capture`` replaces the plain exchange for replies that need the server in a
    particular state (see recorded.py); stock nmap's verdict for such a reply comes
    from nmap's own rules rather than from running nmap.
    """

    name: str
    server: str
    endpoint: str
    probe: str
    expect: Expect
    capture: Optional[Callable[[str, int, bytes], bytes]] = None
    how: str = ""  # how the reply was obtained, when not by sending the probe
