"""The ``service_scan`` task: nmap-compatible service detection for ``task.host``."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any, Optional

from nornir.core.task import Result, Task

from fastprobe import facts
from fastprobe.engine.api import open_scan
from fastprobe.engine.options import OptionError, ScanRequest
from fastprobe.rules.ruleset import DEFAULT_EXCLUDE_MODE

SERVICES = "fastprobe_services"  # host data key the records go to
ADDRESSES = "fastprobe_addresses"  # host data key of extra addresses to scan
EXPECT = "fastprobe_expect"  # host/group data key of expected services

UPDATED = "fastprobe_updated"  # host data key: when the services there last changed
# the scan options the task passes on as they are (names as everywhere: docs/scanning.md)
SCAN_OPTIONS = ("intensity", "connect_timeout", "wait_min", "wait_max", "max_conns",
                "max_host_conns", "rate", "regex_timeout", "exclude", "max_addresses")  # fmt: skip


def service_scan(
    task: Task,
    ports: Optional[str] = None,
    top_ports: Optional[int] = None,
    rules: Sequence[str] = (),
    profile: Optional[str] = None,
    enrich: bool = False,
    addresses: Optional[Sequence[str]] = None,
    project_rules: bool = True,
    nmap_probes: Optional[str] = None,
    exclude_mode: str = DEFAULT_EXCLUDE_MODE,
    dry_run: Optional[bool] = None,
    engine: str = "native",
    nmap_path: Optional[str] = None,
    report_closed: bool = False,
    **scan_options: Any,
) -> Result:
    """Identify the services on ``task.host.hostname`` (and the addresses in host data
    ``fastprobe_addresses``, or ``addresses``) as nmap -sV would.

    ``Result.result`` is the list of service records (the same fields as everywhere:
    address, port, protocol, state, service, product, version, …). ``changed``: the
    host's service set differs from what ``host["fastprobe_services"]`` held before.
    ``enrich=True`` stores the records there (with the records it held for ports this
    scan did not cover, marked ``last_seen``, and the time in ``fastprobe_updated``).
    Expected services in host or group data (``fastprobe_expect``: ``["22/ssh",
    "443/nginx"]``) are checked: what is missing or unexpected fails the task and is in
    ``Result.mismatches``. ``rules``: overlay probe files; ``scan_options``: intensity,
    connect_timeout, wait_min, wait_max, max_conns, max_host_conns, rate,
    regex_timeout, exclude, max_addresses (see docs/scanning.md). ``engine="nmap"``
    runs nmap itself (``nmap_path``, else the nmap role's build, else nmap on PATH) with
    the same rules; it takes intensity, rate, exclude and max_addresses. A dry run
    checks everything and returns what would be probed in ``Result.plan``.
    """
    host = task.host
    targets = _targets(host, addresses)
    try:
        if not targets:
            raise OptionError("hostname", f"{host.name} has no hostname to scan")
        unknown = sorted(set(scan_options) - set(SCAN_OPTIONS))
        if unknown:
            raise OptionError(unknown[0], "not an option of the task")
        if not isinstance(report_closed, bool):
            raise OptionError("report_closed", f"must be true or false, not {report_closed!r}")
        expected = _expectations(host)
        request = ScanRequest(
            targets=targets, ports=ports, top_ports=top_ports, rules=list(rules),
            profile=profile, project_rules=project_rules, nmap_probes=nmap_probes,
            exclude_mode=exclude_mode, engine=engine, nmap_path=nmap_path,
            report_closed=True,  # a closed port says the host answers
            **scan_options,
        )  # fmt: skip
        scan = open_scan(request)
    except (OptionError, facts.ExpectError) as exc:
        return Result(host=host, failed=True, result=str(exc))

    if task.is_dry_run(dry_run):
        plan = scan.preview()
        what = ", ".join(plan["first"]) or "nothing"
        return Result(host=host, result=f"would scan {what}: {plan['port_list']}", plan=plan)

    outcome = scan.run()
    records = [r.as_dict() for r in outcome.records]
    if not outcome.ok:  # what finished is kept in Result.records
        why = outcome.error or "interrupted"
        return Result(host=host, failed=True, result=why, records=facts.stable(records))
    if not records and outcome.excluded:  # left out on purpose: nothing to report
        why = "; ".join(outcome.excluded)
        return Result(host=host, result=[], excluded=list(outcome.excluded), msg=why)
    answered = [r for r in records if r["state"] not in ("filtered", "unresolved", "error")]
    kept = facts.stable(
        r for r in records if report_closed or r["state"] not in ("closed", "filtered")
    )
    if not answered:
        why = "; ".join(sorted({r.get("error") or r["state"] for r in records}))
        why = f"{host.name} ({', '.join(targets)}) is unreachable: {why or 'no answer'}"
        return Result(host=host, failed=True, result=why)

    before = host.get(SERVICES)
    after = kept
    if before:
        after = facts.stable(
            facts.carry(before, kept, facts.coverage(scan.covered()), host.get(UPDATED))
        )
    changed = before is None or facts.service_set(before) != facts.service_set(after)
    diff = ""
    if changed:
        diff = _unified(facts.diff_text(before), facts.diff_text(after), host.name)
    mismatches = facts.check(expected, kept) if expected is not None else None
    if enrich:  # this host's data only: each host runs in one thread
        host[SERVICES] = after
        if changed:
            host[UPDATED] = facts.utc_now()
    failed = bool(mismatches and (mismatches["missing"] or mismatches["unexpected"]))
    return Result(
        host=host,
        result=kept,
        changed=changed,
        diff=diff,
        failed=failed,
        mismatches=mismatches,
        msg=_mismatch_text(host.name, mismatches) if failed else "",
    )


def _targets(host: Any, addresses: Optional[Sequence[str]]) -> list[str]:
    extra = addresses if addresses is not None else (host.get(ADDRESSES) or [])
    if isinstance(extra, str):
        extra = [extra]
    out = [host.hostname] if host.hostname else []
    out += [str(a) for a in extra if str(a) not in out]
    return out


def _expectations(host: Any) -> Optional[list]:
    """The union of what the host and its groups (and defaults) expect, or None."""
    found = False
    merged: list = []
    sources = [("host " + host.name, host.data)]
    sources += [("group " + g.name, g.data) for g in host.extended_groups()]
    sources.append(("defaults", host.defaults.data))
    for where, data in sources:
        if EXPECT in data:
            found = True
            parsed = facts.parse_expect(data[EXPECT], f"{EXPECT} in {where}")
            merged.extend(e for e in parsed if e not in merged)
    return merged if found else None


def _unified(before: str, after: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            f"{name} (before)",
            f"{name} (now)",
        )
    )


def _mismatch_text(name: str, mismatches: Optional[dict]) -> str:
    if not mismatches:
        return ""
    return f"{name}: services differ from what is expected: {facts.describe(mismatches)}"
