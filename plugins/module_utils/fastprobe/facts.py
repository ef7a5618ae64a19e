"""Service records as inventory facts: one file per host, what counts as a change, what
a host is expected to run, and which scan host scans which target.

Shared by the Ansible plugins (controller side) and the Nornir task; stdlib only.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable
from typing import Any, Callable, Optional

from .files import write_atomic

RESULTS_FORMAT = 1
# fields that change from run to run without the service changing: kept out of the
# files (so they diff only on real changes) and out of the comparison
VOLATILE = ("elapsed_ms", "timeouts")  # (whether a pattern runs out of time is timing)
# what makes two records the same service, for "changed" (not extrainfo: nmap's rules
# put uptimes and clocks there, memcached's "uptime 7 seconds" for one)
IDENTITY = ("protocol", "port", "state", "service", "product", "version", "tunnel")
_HOST_FILE = re.compile(r"^[^/\\\x00]+\.json$")


class ExpectError(ValueError):
    """An expectation that cannot be read (the message names it)."""


def stable(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records without volatile fields, ordered by protocol, port and address: the same
    scan gives the same list, byte for byte once dumped."""
    out = [{k: v for k, v in r.items() if k not in VOLATILE} for r in records]
    out.sort(key=lambda r: (r.get("protocol", ""), r.get("port", 0), r.get("address", "")))
    return out


def service_set(records: Iterable[dict[str, Any]]) -> list[tuple]:
    """What a host runs, for deciding whether anything changed."""
    keys = {tuple(_hashable(r.get(k)) for k in (*IDENTITY, "cpe")) for r in records}
    return sorted(keys, key=repr)


def _hashable(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def document(
    host: str, records: Iterable[dict[str, Any]], updated: Optional[str] = None
) -> dict[str, Any]:
    doc = {"format": RESULTS_FORMAT, "host": host, "services": stable(records)}
    if updated:
        doc["updated"] = updated
    return doc


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def host_file(results_dir: str, host: str) -> str:
    name = host + ".json"
    if not _HOST_FILE.match(name) or host in (".", ".."):
        raise ValueError(f"host name {host!r} cannot be a results file name")
    return os.path.join(results_dir, name)


def read_host(results_dir: str, host: str) -> Optional[list[dict[str, Any]]]:
    """The services a host had in the results directory, or None if it has no file."""
    doc = read_host_document(results_dir, host)
    return None if doc is None else doc["services"]


def read_host_document(results_dir: str, host: str) -> Optional[dict[str, Any]]:
    """A host's results file whole (``services``, ``updated``), or None if it has none."""
    path = host_file(results_dir, host)
    if not os.path.exists(path):
        return None
    doc = _load(path)
    _services_of(doc, path)
    if not isinstance(doc.get("updated", ""), str):
        raise ValueError(f"{path}: not a fastprobe results file (updated is not a time)")
    return doc  # type: ignore[no-any-return]


def read_dir(results_dir: str) -> dict[str, list[dict[str, Any]]]:
    """Every host's services in a results directory, by host name."""
    out = {}
    for name in sorted(os.listdir(results_dir)):
        if not name.endswith(".json") or name.startswith("."):  # not a write in progress
            continue
        path = os.path.join(results_dir, name)
        doc = _load(path)
        host = doc.get("host") if isinstance(doc, dict) else None
        if not isinstance(host, str) or not host:
            raise ValueError(f"{path}: not a fastprobe results file (no host)")
        out[host] = _services_of(doc, path)
    return out


def _load(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a fastprobe results file ({exc})") from exc


def _services_of(doc: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), list):
        raise ValueError(f"{path}: not a fastprobe results file (no services list)")
    version = doc.get("format", RESULTS_FORMAT)
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"{path}: not a fastprobe results file (format {version!r})")
    if version > RESULTS_FORMAT:
        raise ValueError(f"{path}: written by a newer fastprobe (format {version})")
    for i, record in enumerate(doc["services"]):
        if not isinstance(record, dict) or not isinstance(record.get("port"), int):
            raise ValueError(f"{path}: not a fastprobe results file (service {i} has no port)")
    return doc["services"]  # type: ignore[no-any-return]


def write_host(
    results_dir: str, host: str, records: Iterable[dict[str, Any]], now: Optional[str] = None
) -> bool:
    """Write a host's file when its services differ from what it holds; True when it was
    written. ``updated`` (``now``, default: the current time) says when: a file whose
    services did not change is left alone, so it does not churn in Git. Written whole
    or not at all, keeping the file's mode, owner and symlinks."""
    path = host_file(results_dir, host)
    services = stable(records)
    try:
        with open(path, encoding="utf-8") as fh:
            old = json.load(fh)
        if isinstance(old, dict) and old.get("services") == services and old.get("host") == host:
            return False
    except FileNotFoundError:
        pass
    except (OSError, ValueError):
        pass  # unreadable: replaced below
    os.makedirs(results_dir, exist_ok=True)
    write_atomic(path, dumps(document(host, services, now or utc_now())))
    return True


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def coverage(covered: Optional[dict[str, Any]]) -> Callable[[str, int], bool]:
    """Whether a scan covered a (protocol, port), from its ``covered`` ranges
    (``Scan.covered``); without them every port counts as covered: nothing is carried."""
    if not isinstance(covered, dict):
        return lambda _proto, _port: True
    ranges = {proto: [tuple(r) for r in spans] for proto, spans in covered.items()}
    return lambda proto, port: any(lo <= port <= hi for lo, hi in ranges.get(proto, ()))


def carry(
    before: Optional[list[dict[str, Any]]],
    records: list[dict[str, Any]],
    covered: Callable[[str, int], bool],
    before_updated: Optional[str],
) -> list[dict[str, Any]]:
    """A rescan that covered fewer ports keeps what was known of the others: ``records``
    plus the records of ``before`` on ports this scan did not cover (``covered(protocol,
    port)`` false), each marked ``last_seen`` — when the file that held it was last
    written (``before_updated``): the scan that saw it ran then or later."""
    kept = []
    for record in before or []:
        proto, port = record.get("protocol"), record.get("port")
        if record.get("state") == "unresolved" or covered(str(proto), int(port or 0)):
            continue
        record = dict(record)
        if before_updated and not record.get("last_seen"):
            record["last_seen"] = before_updated
        kept.append(record)
    return list(records) + kept


def label(record: dict[str, Any]) -> str:
    """The service as a table shows it: ``ssl/http``, or the method when it has no name
    (``unknown``, ``excluded``)."""
    service = str(record.get("service") or record.get("method") or "unknown")
    return f"{record['tunnel']}/{service}" if record.get("tunnel") else service


def diff_text(records: Optional[Iterable[dict[str, Any]]]) -> str:
    """One line per service, for Ansible's --diff."""
    if records is None:
        return ""
    lines = []
    for r in stable(records):
        what = " ".join(str(r[k]) for k in ("service", "product", "version") if r.get(k))
        tunnel = f" ({r['tunnel']})" if r.get("tunnel") else ""
        lines.append(
            f"{r.get('address', '')} {r.get('port')}/{r.get('protocol')} "
            f"{r.get('state')} {what or '-'}{tunnel}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


# --- expectations -------------------------------------------------------------------

_EXPECT = re.compile(r"^(\d{1,5})(?:/(tcp|udp))?/([^/]+)$", re.IGNORECASE)


def parse_expect(items: Iterable[Any], where: str) -> list[tuple[int, str, str]]:
    """``PORT[/PROTOCOL]/NAME`` entries (``22/ssh``, ``443/nginx``, ``53/udp/domain``):
    NAME is a service name or a product, compared without regard to case."""
    out = []
    if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple)):
        raise ExpectError(f"{where}: expected a list of PORT[/PROTOCOL]/NAME, not {items!r}")
    for item in items:
        m = _EXPECT.match(str(item).strip())
        if not m or not 0 < int(m.group(1)) < 65536:
            raise ExpectError(
                f"{where}: {item!r} is not PORT[/PROTOCOL]/NAME (e.g. 22/ssh, 53/udp/domain)"
            )
        out.append((int(m.group(1)), (m.group(2) or "tcp").lower(), m.group(3).lower()))
    return out


def check(expected: list[tuple[int, str, str]], records: Iterable[dict[str, Any]]) -> dict:
    """What is missing (expected, not seen open with that name) and what is unexpected
    (open on a port no expectation names)."""
    open_ = [r for r in records if r.get("state") == "open"]
    missing = []
    for port, proto, name in expected:
        if not any(
            r.get("port") == port
            and r.get("protocol") == proto
            and name in (str(r.get("service") or "").lower(), str(r.get("product") or "").lower())
            for r in open_
        ):
            missing.append(f"{port}/{proto}/{name}")
    ports = {(port, proto) for port, proto, _name in expected}
    unexpected = sorted(
        {
            f"{r['port']}/{r['protocol']}/{r.get('service') or 'unknown'}"
            for r in open_
            if (r.get("port"), r.get("protocol")) not in ports
        }
    )
    return {"missing": missing, "unexpected": unexpected}


def describe(mismatch: dict[str, list[str]]) -> str:
    """``missing 443/tcp/nginx, unexpected 8080/tcp/http``, from ``check``'s result."""
    parts = [f"missing {m}" for m in mismatch["missing"]]
    return ", ".join(parts + [f"unexpected {u}" for u in mismatch["unexpected"]])


# --- sharding -----------------------------------------------------------------------


def shards(keys: Iterable[str], scanners: Iterable[str]) -> dict[str, str]:
    """The scan host of each target: targets in name order dealt out to the scan hosts
    in name order, so every scan host gets as many as the others, give or take one,
    and the same inventory gives the same shares."""
    ordered = sorted(set(scanners))
    if not ordered:
        raise ValueError("no scan hosts to shard across")
    return {key: ordered[i % len(ordered)] for i, key in enumerate(sorted(set(keys)))}
