"""One record per (address, port, protocol): the same names in JSON, facts and host data."""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

METHODS = ("matched", "softmatched", "tcpwrapped", "unknown", "excluded")


class ServiceRecord(NamedTuple):
    address: str
    port: int
    protocol: str  # "tcp" or "udp"
    state: str  # open, closed, filtered, open|filtered, unresolved, error
    service: Optional[str] = None
    product: Optional[str] = None
    version: Optional[str] = None
    extrainfo: Optional[str] = None
    hostname: Optional[str] = None
    ostype: Optional[str] = None
    devicetype: Optional[str] = None
    cpe: tuple[str, ...] = ()
    tunnel: Optional[str] = None
    method: Optional[str] = None  # one of METHODS (open ports)
    probe: Optional[str] = None  # the probe whose reply decided
    rule: Optional[str] = None  # file:line of the deciding rule
    elapsed_ms: int = 0
    target: Optional[str] = None  # the host name the address was scanned for
    replies: Optional[dict[str, str]] = None  # unknown services: probe -> escaped reply
    error: Optional[str] = None  # why the state is error/unresolved
    tls: Optional[dict[str, Any]] = None  # certificate facts when a TLS tunnel was probed
    # rules (file:line) whose regex ran out of time on this port's replies, or was not
    # run for time (RegexBudget): they counted as not matching (nmap's PCRE limit does
    # the same), so a verdict may be missing
    timeouts: Optional[tuple[str, ...]] = None

    def as_dict(self) -> dict[str, Any]:
        out = self._asdict()
        out["cpe"] = list(self.cpe)
        if self.timeouts is not None:
            out["timeouts"] = list(self.timeouts)
        return {k: v for k, v in out.items() if v is not None or k in _ALWAYS}


# keys present even when empty: everything but the extras that only some records carry
_ALWAYS = frozenset(ServiceRecord._fields) - {"target", "replies", "error", "tls", "timeouts"}
