"""The ``service_scan`` task: nmap-compatible service detection for ``task.host``."""

from __future__ import annotations

import asyncio
import difflib
import threading
from collections.abc import Sequence
from typing import Any, Optional

from nornir.core.task import Result, Task

from fastprobe import facts
from fastprobe.engine import nmaprun, options
from fastprobe.engine.records import ServiceRecord
from fastprobe.rules.assemble import read_source
from fastprobe.rules.model import ProbeFileError
from fastprobe.rules.ruleset import RuleSet, default_overlays, load_probe_file

SERVICES = "fastprobe_services"  # host data key the records go to
ADDRESSES = "fastprobe_addresses"  # host data key of extra addresses to scan
EXPECT = "fastprobe_expect"  # host/group data key of expected services

_rule_sets: dict[tuple, Any] = {}  # rule sets, and nmap scanners with their probe file
_rule_sets_lock = threading.Lock()


def overlay_paths(rules: Sequence[str], project_rules: bool) -> list[str]:
    """The overlay files of both engines, in the order their rules are tried: the
    caller's before the project's, as in the CLI and the Ansible module."""
    return list(rules) + (default_overlays() if project_rules else [])


def rule_set(rules: Sequence[str], project_rules: bool, nmap_probes: Optional[str],
             exclude_mode: str) -> RuleSet:  # fmt: skip
    """One rule set per combination, shared by every host of the run (loading one costs
    ~0.3 s; the runner's threads would otherwise each pay it)."""
    key = (tuple(rules), project_rules, nmap_probes, exclude_mode)
    with _rule_sets_lock:
        if key not in _rule_sets:
            try:
                overlays = [load_probe_file(p) for p in overlay_paths(rules, project_rules)]
            except ProbeFileError as exc:
                raise options.OptionError(f"rules: {exc}") from None
            _rule_sets[key] = options.rule_set(nmap_probes, overlays, exclude_mode)
        return _rule_sets[key]


def nmap_scanner(rules: Sequence[str], project_rules: bool, nmap_probes: Optional[str],
                 exclude_mode: str, nmap_path: Optional[str], profile: str,
                 engine_options: dict) -> nmaprun.NmapScanner:  # fmt: skip
    """engine nmap: one assembled probe file per combination, shared like the rule sets."""
    refused = sorted(set(engine_options) - {"intensity", "rate"})
    refused += ["profile"] if profile != "fast" else []
    if refused:
        why = "only engine native has it" if refused[0] in options.DEFAULTS else "not an option"
        raise options.OptionError(f"{refused[0]}: {why} (engine nmap)")
    key = ("nmap", tuple(rules), project_rules, nmap_probes, exclude_mode, nmap_path,
           tuple(sorted(engine_options.items())))  # fmt: skip
    with _rule_sets_lock:
        if key not in _rule_sets:
            sources = []
            for path in overlay_paths(rules, project_rules):
                try:
                    sources.append(read_source(path))
                except OSError as exc:
                    raise options.OptionError(f"rules: {path}: {exc.strerror}") from None
            _rule_sets[key] = nmaprun.nmap_scanner(
                nmap_path, nmap_probes, sources, exclude_mode=exclude_mode, report_closed=True,
                **engine_options,
            )  # fmt: skip
        return _rule_sets[key]


def service_scan(
    task: Task,
    ports: Optional[str] = None,
    top_ports: int = 1000,
    rules: Sequence[str] = (),
    profile: str = "fast",
    enrich: bool = False,
    addresses: Optional[Sequence[str]] = None,
    project_rules: bool = True,
    nmap_probes: Optional[str] = None,
    exclude_mode: str = options.DEFAULT_EXCLUDE_MODE,
    dry_run: Optional[bool] = None,
    engine: str = "native",
    nmap_path: Optional[str] = None,
    **engine_options: Any,
) -> Result:
    """Identify the services on ``task.host.hostname`` (and the addresses in host data
    ``fastprobe_addresses``, or ``addresses``) as nmap -sV would.

    ``Result.result`` is the list of service records (the same fields as everywhere:
    address, port, protocol, state, service, product, version, …). ``changed``: the
    host's service set differs from what ``host["fastprobe_services"]`` held before.
    ``enrich=True`` stores the records there. Expected services in host or group data
    (``fastprobe_expect``: ``["22/ssh", "443/nginx"]``) are checked: what is missing
    or unexpected fails the task and is in ``Result.mismatches``. ``rules``: overlay
    probe files; ``engine_options``: intensity, connect_timeout, wait_min, wait_max,
    max_conns, max_host_conns, rate, report_closed (see docs/scanning.md).
    ``engine="nmap"`` runs nmap itself (``nmap_path``, else the nmap role's build, else
    nmap on PATH) with the same rules; it takes intensity, rate and report_closed.
    """
    host = task.host
    targets = _targets(host, addresses)
    try:
        if not targets:
            raise options.OptionError(f"hostname: {host.name} has no hostname to scan")
        port_spec = options.port_spec(ports, top_ports)
        options.check_targets(targets)
        expected = _expectations(host)
        report_closed = bool(engine_options.pop("report_closed", False))
        if engine == "nmap":
            nmaprun.port_args(port_spec)  # a UDP port without root fails here
            scanner: Any = nmap_scanner(rules, project_rules, nmap_probes, exclude_mode,
                                        nmap_path, profile, engine_options)  # fmt: skip
        elif engine == "native":
            rules_ = rule_set(rules, project_rules, nmap_probes, exclude_mode)
            scanner = options.scanner(rules_, profile=profile, report_closed=True, **engine_options)
        else:
            raise options.OptionError(f"engine: must be native or nmap, not {engine!r}")
    except (options.OptionError, facts.ExpectError) as exc:
        return Result(host=host, failed=True, result=str(exc))

    if task.is_dry_run(dry_run):
        what = ports or f"nmap's top {top_ports} TCP ports"
        return Result(host=host, result=f"would scan {', '.join(targets)}: {what}")

    records, error = asyncio.run(_scan(scanner, targets, port_spec))
    if error:  # nmap failed: what it finished is kept in Result.records
        return Result(host=host, failed=True, result=error, records=facts.stable(records))
    answered = [r for r in records if r["state"] not in ("filtered", "unresolved", "error")]
    kept = facts.stable(
        r for r in records if report_closed or r["state"] not in ("closed", "filtered")
    )
    if not answered:
        why = "; ".join(sorted({r.get("error") or r["state"] for r in records}))
        why = f"{host.name} ({', '.join(targets)}) is unreachable: {why or 'no answer'}"
        return Result(host=host, failed=True, result=why)

    before = host.get(SERVICES)
    changed = before is None or facts.service_set(before) != facts.service_set(kept)
    diff = ""
    if changed:
        diff = _unified(facts.diff_text(before), facts.diff_text(kept), host.name)
    mismatches = facts.check(expected, kept) if expected is not None else None
    if enrich:
        host[SERVICES] = kept  # this host's data only: each host runs in one thread
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


async def _scan(scanner: Any, targets: list[str], ports: Any) -> tuple[list[dict], Optional[str]]:
    out: list[ServiceRecord] = []
    try:
        async for record in scanner.scan(targets, ports):
            out.append(record)
    except nmaprun.NmapError as exc:
        return [r.as_dict() for r in out], str(exc)
    return [r.as_dict() for r in out], None


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
