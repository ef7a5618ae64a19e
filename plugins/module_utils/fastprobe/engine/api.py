"""The one way into the engine: ``open_scan(ScanRequest)`` checks every option, reads
the targets, exclusions, ports and rules, and returns a ``Scan`` - one interface for
the native engine and for nmap - that can be described, dry-run or run. Every adapter
(CLI, Ansible module, Nornir task) goes through here; they parse their own input and
render what comes back, nothing more."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any, Callable, NamedTuple, Optional, Union

from ..files import check_writable, replacing
from ..rules.assemble import Assembled, Source, read_source
from ..rules.model import ProbeFile, ProbeFileError
from ..rules.parser import parse_text
from ..rules.ruleset import RuleSet, find_nmap_probes, load_probe_file, overlay_files
from .imports import ImportFileError, read_endpoints
from .nmaprun import NmapError, NmapScanner, find_nmap, nmap_scanner, own_probes, port_args
from .options import OptionError, ScanRequest, check
from .ports import Ports, PortSpecError, parse_ports, top_ports
from .records import ServiceRecord
from .resolve import resolve
from .scan import Scanner
from .targets import Exclusions, TargetError, TargetPlan, read_list
from .timing import PROFILES

Endpoint = tuple[str, int, str]
PREVIEW = 10  # addresses a dry run lists


class ScanOutcome(NamedTuple):
    """What a run gives back: every record that finished (kept whatever happened), why
    it stopped early or had nothing to scan (``reason``, and the ``option`` at fault
    when one is), and warnings."""

    records: list[ServiceRecord]
    reason: Optional[str] = None
    option: Optional[str] = None
    interrupted: bool = False
    warnings: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()  # targets left out because their address is excluded

    @property
    def error(self) -> Optional[str]:
        if self.reason is None:
            return None
        return f"{self.option}: {self.reason}" if self.option else self.reason

    @property
    def ok(self) -> bool:
        return self.reason is None and not self.interrupted

    def counts(self) -> dict[str, int]:
        """What the records say: open ports (on how many addresses), how many of them
        are identified and unknown, and error records."""
        opened = [r for r in self.records if r.state == "open"]
        named = sum(1 for r in opened if r.service and r.method != "unknown")
        return {
            "open": len(opened),
            "hosts": len({r.address for r in opened}),
            "identified": named,
            "unknown": len(opened) - named,
            "errors": sum(1 for r in self.records if r.state == "error"),
        }


class Scan:
    """A checked scan, not yet started: what it will probe and the engine that will."""

    def __init__(
        self,
        request: ScanRequest,
        plan: TargetPlan,
        ports: Union[Ports, int],
        scanner: Union[Scanner, NmapScanner],
        endpoints: Optional[list[Endpoint]],
        skip: frozenset[Endpoint],
    ) -> None:
        self.request = request
        self.plan = plan
        self.ports = ports
        self.scanner = scanner
        self.endpoints = endpoints
        self.skip = skip
        self.excluded: list[str] = []  # of the last run

    @property
    def engine(self) -> str:
        return self.request.engine

    @property
    def addresses(self) -> int:
        """Addresses the targets stand for, before exclusions (or endpoints given)."""
        if self.endpoints is not None:
            return len({a for a, _p, _t in self.endpoints})
        return self.plan.count

    @property
    def port_count(self) -> int:
        return self.ports if isinstance(self.ports, int) else len(self.ports)

    @property
    def total(self) -> int:
        """Ports to probe at most: address x port pairs (or endpoints), less those skipped."""
        if self.endpoints is not None:
            return max(0, len(self.endpoints) - len(self.skip))
        return max(0, self.addresses * self.port_count - len(self.skip))

    def describe(self) -> str:
        """One line for the operator before anything is sent."""
        if self.endpoints is not None:
            what = f"{len(self.endpoints):,} open port(s) from {self.request.from_file}"
        else:
            what = (
                f"{self.addresses:,} address(es) x {self.port_count:,} port(s) = "
                f"{self.addresses * self.port_count:,} to probe"
            )
        done = f", {len(self.skip):,} done before" if self.skip else ""
        excluded = self.plan.exclude.specs()
        ex = f", excluding {', '.join(excluded[:5])}{' ...' if len(excluded) > 5 else ''}"
        return f"{what}{done}{ex if excluded else ''} (engine {self.engine})"

    def preview(self, limit: int = PREVIEW) -> dict[str, Any]:
        """A dry run: the counts and the first addresses (names looked up, exclusions
        applied); nothing is sent to a target."""

        async def first() -> tuple[list[str], list[str]]:
            addresses: list[str] = []
            skipped: list[str] = []
            async for item in resolve(self.plan):
                if item.address is not None:
                    addresses.append(item.address)
                elif item.error:
                    skipped.append(item.error)
                if len(addresses) + len(skipped) >= limit:
                    break
            return addresses, skipped

        if self.endpoints is not None:
            addresses = [f"{a}:{p}/{t}" for a, p, t in self.endpoints[:limit]]
            skipped: list[str] = []
        else:
            addresses, skipped = asyncio.run(first())
        if isinstance(self.ports, int):
            port_text = f"nmap's top {self.ports} TCP ports"
        else:
            port_text = self.ports.spec()
        return {
            "engine": self.engine,
            "targets": self.plan.items,
            "addresses": self.addresses,
            "ports": self.port_count,
            "port_list": port_text,
            "to_probe": self.total,
            "first": addresses,
            "not_scanned": skipped,
            "exclude": self.plan.exclude.specs(),
            "summary": self.describe(),
        }

    def covered(self) -> dict[str, list[list[int]]]:
        """The ports the scan covers, as [low, high] ranges by protocol (engine nmap's own
        top list read from this host's nmap-services): what a narrower rescan did not
        cover is kept from before (``facts.carry``)."""
        ports = self.ports if not isinstance(self.ports, int) else Ports(top_ports(self.ports), ())
        return {proto: [list(r) for r in spans.ranges] for proto, spans in ports.ranges().items()}

    async def records(
        self, on_port_done: Optional[Callable[[], None]] = None
    ) -> AsyncIterator[ServiceRecord]:
        """The records as they finish; NmapError after them when nmap failed."""
        if isinstance(self.scanner, NmapScanner):
            scan = self.scanner.scan(
                self.plan, self.ports, on_port_done=on_port_done, on_excluded=self.excluded.append
            )
        else:
            scan = self.scanner.scan(
                self.plan,
                self.ports,  # type: ignore[arg-type]
                skip=self.skip,
                on_port_done=on_port_done,
                endpoints=self.endpoints,
                on_excluded=self.excluded.append,
            )
        async for record in scan:
            yield record

    def run(
        self,
        on_record: Optional[Callable[[ServiceRecord], None]] = None,
        on_port_done: Optional[Callable[[], None]] = None,
        command: str = "fastprobe scan",
    ) -> ScanOutcome:
        """Run to the end (or Ctrl-C, or nmap failing), keeping every record that
        finished; ``xml_path`` is written with them either way."""
        records: list[ServiceRecord] = []
        started = time.time()
        self.excluded.clear()

        async def collect() -> None:
            async for record in self.records(on_port_done):
                records.append(record)
                if on_record is not None:
                    on_record(record)

        xml = self.request.xml_path
        nmap = isinstance(self.scanner, NmapScanner)
        if nmap and xml:
            failure, interrupted = self._nmap_with_xml(collect, xml)
        else:
            failure, interrupted = _collect(collect)
        unresolved = [r for r in records if r.state == "unresolved"]
        warnings = [f"not scanned: {r.error}" for r in unresolved]
        if (
            failure is None
            and not interrupted
            and unresolved
            and len(unresolved) >= self.plan.items
        ):
            why = "; ".join(str(r.error) for r in unresolved[:5])
            failure = ("targets", f"nothing could be scanned: {why}")
        if xml and not nmap:
            from .xmlout import to_xml, write_xml

            try:
                with replacing(xml) as tmp, open(tmp, "wb") as fh:
                    write_xml(to_xml(records, args=command, start=started), fh)
            except OSError as exc:
                failure = failure or ("xml_path", f"{xml}: {exc.strerror or exc}")
        option, reason = failure if failure else (None, None)
        return ScanOutcome(
            records, reason, option, interrupted, tuple(warnings), tuple(self.excluded)
        )

    def _nmap_with_xml(
        self, collect: Callable[[], Any], xml: str
    ) -> tuple[Optional[tuple[Optional[str], str]], bool]:
        """nmap writes its XML beside ``xml``; what it wrote replaces ``xml`` however the
        run ended (its finished hosts are in it), unless it wrote nothing at all."""
        scanner: NmapScanner = self.scanner  # type: ignore[assignment]
        outcome: tuple[Optional[tuple[Optional[str], str]], bool] = (None, False)
        try:
            with replacing(xml) as tmp:
                scanner.xml_path = tmp
                try:
                    outcome = _collect(collect)
                finally:
                    scanner.xml_path = None
                if not os.path.getsize(tmp):
                    raise _NothingWritten
        except _NothingWritten:
            pass
        except OSError as exc:
            return ("xml_path", f"{xml}: {exc.strerror or exc}"), outcome[1]
        return outcome


class _NothingWritten(Exception):
    pass


def _collect(collect: Callable[[], Any]) -> tuple[Optional[tuple[Optional[str], str]], bool]:
    """Run the scan to its end: (what stopped it early, as (option, reason), or None;
    whether it was interrupted)."""
    try:
        asyncio.run(collect())
    except KeyboardInterrupt:
        return None, True
    except NmapError as exc:
        return (None, str(exc)), False
    except OptionError as exc:  # nmap could not be started
        return (exc.option, exc.reason), False
    except TargetError as exc:  # an -iL file that changed under the scan
        return (exc.option, str(exc)), False
    return None, False


def open_scan(request: ScanRequest) -> Scan:
    """Check ``request`` whole and prepare its scan; OptionError names the option at
    fault. Nothing is sent to a target (excluded names are looked up)."""
    check(request)
    r = request
    ports = _ports(r)
    exclude = _exclusions(r)
    try:
        plan = TargetPlan(r.targets, r.input_files, exclude)
    except TargetError as exc:
        raise OptionError(exc.option, str(exc)) from None
    endpoints = None
    if r.from_file is not None:
        try:
            endpoints = read_endpoints(r.from_file)
        except ImportFileError as exc:
            raise OptionError("from_file", str(exc)) from None
    elif not plan.items:
        raise OptionError("targets", "nothing to scan: give addresses, networks, ranges or names")
    limit = r.get("max_addresses")
    if endpoints is None and plan.count > limit:
        raise OptionError(
            "max_addresses",
            f"the targets stand for {plan.count:,} addresses, more than {limit:,}: "
            "check for a mistyped prefix or range, or raise this limit",
        )
    skip = _done(r.resume) if r.resume else frozenset()
    if r.xml_path:
        try:
            check_writable(r.xml_path)
        except OSError as exc:
            raise OptionError("xml_path", f"{r.xml_path}: {exc.strerror or exc}") from None
    if r.engine == "nmap":
        if not isinstance(ports, int):
            port_args(ports)  # a UDP port without root fails here, before anything runs
        scanner: Union[Scanner, NmapScanner] = _nmap(r)
    else:
        scanner = _native(r)
    return Scan(r, plan, ports, scanner, endpoints, skip)


def _ports(r: ScanRequest) -> Union[Ports, int]:
    if r.ports is not None and r.top_ports is not None:
        raise OptionError("top_ports", "give ports or top_ports, not both")
    if r.ports is not None:
        if not r.ports.strip():
            raise OptionError("ports", "empty: give ports in nmap's syntax (22,80,1000-2000)")
        try:
            return parse_ports(r.ports)
        except PortSpecError as exc:
            raise OptionError("ports", str(exc)) from None
    count = r.get("top_ports")
    if r.engine == "nmap":
        return count  # type: ignore[no-any-return]  # nmap's own list, from its nmap-services
    return Ports(top_ports(count), ())


def _exclusions(r: ScanRequest) -> Exclusions:
    exclude = Exclusions()
    for option, items in (
        ("exclude", [(x, "") for spec in r.exclude for x in spec.split(",")]),
        ("exclude_files", _listed(r.exclude_files)),
    ):
        try:
            for spec, where in items:
                try:
                    exclude.add(spec)
                except TargetError as exc:
                    raise TargetError(f"{where}: {exc}" if where else str(exc)) from None
        except TargetError as exc:
            raise OptionError(option, str(exc)) from None
    try:
        exclude.resolve_names()
    except TargetError as exc:
        raise OptionError("exclude", str(exc)) from None
    return exclude


def _listed(paths: Iterable[str]) -> Iterable[tuple[str, str]]:
    for path in paths:
        yield from read_list(path, "--exclude-file")


def _done(path: str) -> frozenset[Endpoint]:
    """(address, port, protocol) of the finished records in an earlier JSON-lines file;
    a cut last line (what a crash leaves) is not a record and is left out."""
    done: set[Endpoint] = set()
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    if rec.get("state") not in ("error", "unresolved"):
                        done.add((str(rec["address"]), int(rec["port"]), str(rec["protocol"])))
                except (ValueError, KeyError, TypeError, AttributeError):
                    if line.endswith("\n"):
                        raise OptionError(
                            "resume", f"{path}:{number}: not a fastprobe record"
                        ) from None
    except FileNotFoundError:
        return frozenset()  # nothing to resume from yet: a first run
    except UnicodeDecodeError:
        raise OptionError("resume", f"{path}: not a text file (UTF-8)") from None
    except OSError as exc:
        raise OptionError("resume", f"{path}: {exc.strerror or exc}") from None
    return frozenset(done)


# Rule sets and assembled probe files, shared by the scans of one process (the Nornir
# runner's threads): loading one costs ~0.3 s. Keyed by every input file's identity.
_CACHE: dict[tuple, Any] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8


def _identity(path: str) -> tuple:
    try:
        st = os.stat(path)
    except OSError:
        return (path, None)
    return (os.path.realpath(path), st.st_size, st.st_mtime_ns)


def _cached(key: tuple, build: Callable[[], Any]) -> Any:
    with _CACHE_LOCK:
        if key not in _CACHE:
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = build()
        return _CACHE[key]


def _rules_key(r: ScanRequest, base: Optional[str], given: list[str], project: list[str]) -> tuple:
    """What a rule set (or an assembled file) is made of: every file's identity, the
    overlay texts' digests, the Exclude mode."""
    contents = tuple(
        (s.name, hashlib.sha256(s.text.encode("latin-1")).hexdigest()) for s in r.rules_content
    )
    files = tuple(map(_identity, [*given, *project]))
    return (_identity(base) if base else None, files, len(given), contents, r.exclude_mode)


def _base_path(r: ScanRequest, nmap: Optional[str] = None) -> Optional[str]:
    if not r.base_rules:
        return None
    path = r.nmap_probes or (own_probes(nmap) if nmap else None) or find_nmap_probes()
    if path is None:
        raise OptionError(
            "nmap_probes",
            "nmap's probe file was not found (install nmap, or give its nmap-service-probes path)",
        )
    return path


def _native(r: ScanRequest) -> Scanner:
    given, project = overlay_files(r.rules, r.project_rules)
    base = _base_path(r)
    if base is None and not given and not project and not r.rules_content:
        raise OptionError("rules", "no probe file at all: give overlays or nmap's file")
    key = ("native", *_rules_key(r, base, given, project))

    def build() -> RuleSet:
        overlays = [_load("rules", path) for path in given]
        for source in r.rules_content:
            try:
                overlays.append(parse_text(source.text, source.name))
            except ProbeFileError as exc:
                raise OptionError("rules", str(exc)) from None
        overlays += [_load("rules", path) for path in project]
        base_file = _load("nmap_probes", base) if base else None
        return RuleSet(overlays, exclude=r.exclude_mode, base=base_file)

    rules = _cached(key, build)
    timing = PROFILES[r.get("profile")]
    changes: dict[str, float] = {}
    for option, names in (
        ("connect_timeout", ("connect_timeout",)),
        ("wait_min", ("null_floor", "probe_floor")),
        ("wait_max", ("null_ceiling", "probe_ceiling")),
    ):
        value = getattr(r, option)
        if value is not None:
            changes.update(dict.fromkeys(names, float(value)))
    timing = timing._replace(**changes)
    if timing.probe_floor > timing.probe_ceiling or timing.null_floor > timing.null_ceiling:
        raise OptionError("wait_min", "must not be above wait_max")
    return Scanner(
        rules,
        timing=timing,
        intensity=r.intensity,
        max_conns=r.get("max_conns"),
        max_host_conns=r.get("max_host_conns"),
        regex_timeout=r.get("regex_timeout"),
        report_closed=r.report_closed,
        rate=r.rate,
    )


def _load(option: str, path: str) -> ProbeFile:
    try:
        return load_probe_file(path)
    except ProbeFileError as exc:
        raise OptionError(option, str(exc)) from None


def _nmap(r: ScanRequest) -> NmapScanner:
    nmap = find_nmap(r.nmap_path)
    given, project = overlay_files(r.rules, r.project_rules)
    base = _base_path(r, nmap)
    key = ("nmap", nmap, *_rules_key(r, base, given, project))

    def build() -> Assembled:
        sources = [_read("rules", path) for path in given]
        sources += list(r.rules_content)
        sources += [_read("rules", path) for path in project]
        return nmap_scanner(nmap, base, sources, base=base is not None,
                            exclude_mode=r.exclude_mode).probes  # fmt: skip

    probes = _cached(key, build)
    return NmapScanner(
        nmap, probes, intensity=r.intensity, rate=r.rate, report_closed=r.report_closed
    )


def _read(option: str, path: str) -> Source:
    try:
        return read_source(path)
    except OSError as exc:
        raise OptionError(option, f"{path}: {exc.strerror or exc}") from None
