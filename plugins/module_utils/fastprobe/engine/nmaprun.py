"""``engine: nmap``: run nmap itself and read what it finds back as the native engine's
records, for sites that must run nmap.

nmap reads one probe file, so it is given nmap's own merged with the overlays
(``rules/assemble.py``): it then tries the same rules in the same order as the native
engine, and ``--version-trace`` names the line of the deciding rule, which
``Assembled.origins`` maps back to the file and line it was copied from. nmap writes
its XML host by host; it is read as it grows, so a run that fails or is stopped keeps
every host it finished, and the trace gives back the matches of the host it was on.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable, Container, Iterable, Sequence
from typing import NamedTuple, Optional, Union

from ..rules.assemble import Assembled, Source, assemble, read_source
from ..rules.escapes import escape
from ..rules.model import ProbeFileError
from ..rules.ruleset import DEFAULT_EXCLUDE_MODE, find_nmap_probes
from .options import DEFAULTS, OptionError, check_exclude_mode, check_intensity_rate, whole
from .ports import Ports, PortSpecError, parse_ports
from .records import ServiceRecord
from .resolve import resolve
from .targets import TargetPlan

ROLE_NMAP = "/opt/fastprobe/nmap/bin/nmap"  # where the collection's nmap role installs its build
EXCLUDED = "Excluded from version scan"  # nmap's product for ports its Exclude names
PARTIAL = "nmap stopped before it finished this host: from its version trace (no CPE, OS type)"
POLL = 0.2  # seconds between looks at the growing XML
STOP_WAIT = 5.0  # seconds nmap gets to exit after SIGTERM, and its pipes to drain
OPEN_STATES = ("open", "open|filtered")

_MATCH = re.compile(  # --version-trace's line for each match, soft or hard
    r"Service scan (?:(?P<kind>hard|soft) )?match \(Probe (?P<probe>\S+) matched with \S+ "
    r"line (?P<line>\d+)\): (?:(?P<name>.*) \()?(?P<address>[0-9A-Fa-f.:]+)\)?:(?P<port>\d+) "
    r"is (?P<ssl>SSL/)?(?P<service>.*?)(?:\.  Version: \|(?P<fields>.*)\|)?$"
)
_REPORT = re.compile(r"Nmap scan report for (?:.* \()?([^\s()]+)\)?$")
_UNRESOLVED = re.compile(r'Failed to resolve "(.*)"')
_REPLY = re.compile(r'%r\(([^,()]+),[0-9A-Fa-f]+,"')
_FP_ESCAPES = {"0": 0, "n": 10, "r": 13, "t": 9}


class NmapError(RuntimeError):
    """nmap failed; the message holds its exit status and the end of its stderr."""


def find_nmap(path: Optional[str] = None) -> str:
    """``path`` (a file, or a name on PATH), else the nmap role's build, else nmap on PATH."""
    if path:
        found = path if os.sep in path else shutil.which(path)
        if found and os.path.isfile(found) and os.access(found, os.X_OK):
            return found
        raise OptionError("nmap_path", f"{path}: no executable there")
    if os.path.isfile(ROLE_NMAP) and os.access(ROLE_NMAP, os.X_OK):
        return ROLE_NMAP
    found = shutil.which("nmap")
    if found:
        return found
    raise OptionError(
        "nmap_path",
        f"nmap was not found, neither at {ROLE_NMAP} (where the collection's nmap role "
        "installs it) nor on PATH; install it or give its path",
    )


def own_probes(nmap: str) -> Optional[str]:
    """The probe file in that nmap's own data directory (``<prefix>/share/nmap``): a
    built nmap may be newer than the distribution's file."""
    prefix = os.path.dirname(os.path.dirname(os.path.realpath(nmap)))
    path = os.path.join(prefix, "share", "nmap", "nmap-service-probes")
    return path if os.path.isfile(path) else None


def port_args(ports: Union[Ports, int]) -> list[str]:
    """``-sT``/``-sU`` and ``-p`` (or ``--top-ports``, nmap's own list) for ``ports``."""
    if isinstance(ports, int):
        if ports < 1:
            raise OptionError("top_ports", "must be at least 1")
        return ["-sT", "--top-ports", str(ports)]
    if not len(ports):
        raise OptionError("ports", "no ports to scan")
    args = ["-sT"] if ports.tcp else []
    if ports.udp:
        if hasattr(os, "geteuid") and os.geteuid() != 0:
            raise OptionError(
                "ports",
                "UDP ports need nmap -sU, which needs root (run as root, or scan TCP ports only)",
            )
        args.append("-sU")
    return [*args, "-p", ports.spec()]


def nmap_scanner(
    nmap_path: Optional[str] = None,
    nmap_probes: Optional[str] = None,
    overlays: Sequence[Source] = (),
    *,
    base: bool = True,
    exclude_mode: str = DEFAULT_EXCLUDE_MODE,
    intensity: int = DEFAULTS["intensity"],
    rate: Optional[float] = None,
    report_closed: bool = False,
    totalwaitms: Optional[int] = None,
    tcpwrappedms: Optional[int] = None,
) -> NmapScanner:
    """Find nmap and assemble its probe file: ``nmap_probes``, else the file of that
    nmap's data directory, else the installed one, with ``overlays`` (texts as latin-1,
    one character a byte). ``totalwaitms``/``tcpwrappedms`` shorten stock nmap's waits.
    OptionError names the option at fault."""
    nmap = find_nmap(nmap_path)
    check_exclude_mode(exclude_mode)
    check_intensity_rate(intensity, rate)
    for name, value in (("totalwaitms", totalwaitms), ("tcpwrappedms", tcpwrappedms)):
        if value is not None:
            whole(name, value, 100, 300000)  # nmap's bounds
    source = None
    if base:
        path = nmap_probes or own_probes(nmap) or find_nmap_probes()
        if path is None:
            raise OptionError("nmap_probes", "nmap's probe file was not found; give its path")
        try:
            source = read_source(path)
        except OSError as exc:
            raise OptionError("nmap_probes", f"{path}: {exc.strerror or exc}") from None
    elif not overlays:
        raise OptionError("rules", "no probe file at all: give overlays or nmap's file")
    try:
        probes = assemble(
            source, overlays, exclude=exclude_mode, totalwaitms=totalwaitms,
            tcpwrappedms=tcpwrappedms,
        )  # fmt: skip
    except ProbeFileError as exc:
        option = "nmap_probes" if source and exc.file == source.name else "rules"
        raise OptionError(option, str(exc)) from None
    except ValueError as exc:  # an overlay given twice
        raise OptionError("rules", str(exc)) from None
    return NmapScanner(nmap, probes, intensity=intensity, rate=rate, report_closed=report_closed)


class NmapScanner:
    """Runs nmap with an assembled probe file; ``scan`` has the native Scanner's shape."""

    def __init__(
        self,
        nmap: str,
        probes: Assembled,
        *,
        intensity: int = DEFAULTS["intensity"],
        rate: Optional[float] = None,
        report_closed: bool = False,
        xml_path: Optional[str] = None,
    ) -> None:
        self.nmap = nmap
        self.xml_path = xml_path  # nmap's own XML is kept here
        self.probes = probes
        self.intensity = intensity
        self.rate = rate
        self.report_closed = report_closed
        self.pid: Optional[int] = None  # the running (or last) nmap's

    def arguments(
        self,
        targets_file: str,
        ports: Union[Ports, int],
        exclude: Sequence[str] = (),
        ipv6: bool = False,
    ) -> list[str]:
        """nmap's options, but for ``--versiondb`` and ``-oX``."""
        args = ["-sV", "-Pn", "-n", "--version-trace", *port_args(ports)]
        args += ["--version-intensity", str(self.intensity), "-iL", targets_file]
        if ipv6:
            args.append("-6")
        if self.rate:
            args += ["--max-rate", f"{self.rate:g}"]
        if not self.report_closed:
            args.append("--open")
        if exclude:
            args += ["--exclude", ",".join(exclude)]
        return args

    async def scan(
        self,
        targets: Union[TargetPlan, Iterable[str]] = (),
        ports: Union[Ports, int] = 1000,
        *,
        skip: Container[tuple[str, int, str]] = (),
        on_port_done: Optional[Callable[[], None]] = None,
        endpoints: Optional[Iterable[tuple[str, int, str]]] = None,
        on_excluded: Optional[Callable[[str], None]] = None,
    ) -> AsyncIterator[ServiceRecord]:
        """Records host by host as nmap finishes them (``ports``: a port list, or how many
        of nmap's top TCP ports): the native Scanner's ``scan``, but nmap decides what it
        probes, so ``skip`` and ``endpoints`` are refused. nmap's XML is kept at
        ``xml_path`` when set. NmapError after the last record when nmap failed;
        cancelled, nmap is stopped (by its PID) and what it found is given before the
        cancellation goes on."""
        if skip or endpoints is not None:
            raise OptionError("resume" if skip else "from_file", "only the native engine has it")
        plan = targets if isinstance(targets, TargetPlan) else TargetPlan(targets)
        if not plan.items:
            raise OptionError("targets", "nothing to scan")
        specs = await _allowed_specs(plan, on_excluded)
        if not specs:
            return  # every target excluded
        with tempfile.TemporaryDirectory(prefix="fastprobe-nmap-") as tmp:
            ipv6 = [":" in t for t in specs]
            if any(ipv6) and not all(ipv6):
                raise OptionError("targets", "nmap scans IPv4 or IPv6 targets in one run, not both")
            listed = os.path.join(tmp, "targets")
            with open(listed, "w", encoding="utf-8") as fh:  # never on nmap's command line
                fh.write("\n".join(specs) + "\n")
            versiondb = os.path.join(tmp, "nmap-service-probes")
            with open(versiondb, "w", encoding="latin-1", newline="") as fh:
                fh.write(self.probes.text)
            xml = self.xml_path or os.path.join(tmp, "nmap.xml")
            try:
                open(xml, "wb").close()  # there before nmap starts, read as it grows
            except OSError as exc:
                raise OptionError("xml_path", f"{xml}: {exc.strerror or exc}") from None
            args = self.arguments(listed, ports, plan.exclude.specs(), all(ipv6))
            cmd = [self.nmap, *args, "--versiondb", versiondb, "-oX", xml]
            out = NmapOutput(self.probes, self.report_closed)
            with open(xml, "rb") as growing:
                run = self._run(cmd, out, growing)
                try:
                    async for record in run:
                        if on_port_done is not None:
                            on_port_done()
                        yield record
                finally:
                    await run.aclose()  # nmap stopped before its files go

    async def _run(self, cmd: list[str], out: NmapOutput, xml) -> AsyncIterator[ServiceRecord]:  # type: ignore[no-untyped-def]
        try:
            proc = await asyncio.create_subprocess_exec(
                *cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            raise OptionError("nmap_path", f"{cmd[0]}: {exc.strerror or exc}") from None
        self.pid = proc.pid
        readers = asyncio.gather(_lines(proc.stdout, out.stdout), _lines(proc.stderr, out.stderr))
        hosts: list[ET.Element] = []
        cancelled = False
        try:
            while not readers.done():  # the pipes close when nmap exits
                try:
                    await asyncio.wait([readers], timeout=POLL)
                except asyncio.CancelledError:
                    cancelled = True
                    break
                hosts += out.feed(xml.read())
                for record in out.ready(hosts):
                    yield record
            try:
                await _stop(proc, readers)
            except asyncio.CancelledError:
                cancelled = True
        finally:
            if proc.returncode is None:  # cancelled while stopping it, or closed early
                _signal(proc, kill=True)
            if not readers.done():
                readers.cancel()
        hosts += out.feed(xml.read(), final=True)
        for record in out.ready(hosts, final=True) + out.leftovers():
            yield record
        if cancelled:
            raise asyncio.CancelledError()
        if proc.returncode:
            how = (f"was stopped by signal {-proc.returncode}" if proc.returncode < 0
                   else f"exited with status {proc.returncode}")  # fmt: skip
            raise NmapError(f"nmap {how}: {'; '.join(out.errors) or 'no message'}")


async def _allowed_specs(
    plan: TargetPlan, on_excluded: Optional[Callable[[str], None]]
) -> list[str]:
    """The target specifications for nmap's -iL, less the names whose address is
    excluded: looked up here as nmap would, so the exclusions hold for them even where
    nmap's own ``--exclude`` would see another address."""
    specs = []
    names: dict[str, bool] = {}
    async for item in resolve(plan, names_only=True):  # a network is not walked for this
        name = str(item.target.name)
        names[name] = names.get(name, True) and not item.excluded
        if item.excluded and on_excluded is not None:
            on_excluded(str(item.error))
    for spec, _where in plan.all_specs():
        if names.get(spec.strip(), True):
            specs.append(spec.strip())
    return specs


async def _stop(proc: asyncio.subprocess.Process, readers: asyncio.Future) -> None:  # type: ignore[type-arg]
    """Stop nmap (its own PID only) if it still runs; every wait bounded."""
    if proc.returncode is None and not readers.done():
        _signal(proc)
    try:
        await asyncio.wait_for(asyncio.shield(readers), STOP_WAIT)
        await asyncio.wait_for(proc.wait(), STOP_WAIT)
    except asyncio.TimeoutError:
        _signal(proc, kill=True)
        await asyncio.wait_for(proc.wait(), STOP_WAIT)
    finally:
        if not readers.done():
            readers.cancel()


def _signal(proc: asyncio.subprocess.Process, kill: bool = False) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has just exited
        proc.kill() if kill else proc.terminate()


async def _lines(stream: Optional[asyncio.StreamReader], handle: Callable[[str], None]) -> None:
    """Each line to ``handle``, read in chunks: nmap's debug lines can be long."""
    if stream is None:
        return
    rest = b""
    while True:
        chunk = await stream.read(1 << 16)
        if not chunk:
            break
        *lines, rest = (rest + chunk).split(b"\n")
        rest = rest[-(1 << 16) :]
        for line in lines:
            handle(line.decode("utf-8", "replace").rstrip("\r"))
    if rest:
        handle(rest.decode("utf-8", "replace"))


class _Match(NamedTuple):
    soft: bool
    probe: str
    line: int
    ssl: bool
    service: str
    fields: tuple[Optional[str], Optional[str], Optional[str]]  # product, version, extrainfo
    target: Optional[str]  # the name given for the address


class NmapOutput:
    """What one nmap run printed and wrote, turned into records: the XML for the
    verdicts, the version trace for the probe and rule behind each."""

    def __init__(self, probes: Optional[Assembled] = None, report_closed: bool = True) -> None:
        self.origins = probes.origins if probes else {}
        self.report_closed = report_closed
        # the Exclude in force: nmap 7.93 marks those ports "Excluded from version scan"
        # only when no other port of the host is probed
        spec = parse_ports(probes.excluded.split()[1]) if probes and probes.excluded else None
        self.excluded = {"tcp": set(spec.tcp), "udp": set(spec.udp)} if spec else {}
        self._starts: list[int] = []  # lines of the assembled file's Probe lines
        self._protocols: list[str] = []
        for number, line in enumerate(probes.text.split("\n") if probes else (), 1):
            if line.startswith("Probe "):
                self._starts.append(number)
                self._protocols.append(line.split()[1].lower())
        self.matches: dict[tuple[str, int, str], list[_Match]] = {}
        self.reported: set[str] = set()  # hosts whose trace is complete on stdout
        self.done: set[str] = set()  # hosts read from the XML
        self.unresolved: list[str] = []
        self.errors: collections.deque[str] = collections.deque(maxlen=8)
        self._parser = ET.XMLPullParser(("end",))
        self._broken = False

    def stdout(self, line: str) -> None:
        m = _MATCH.match(line)
        if m:
            number = int(m["line"])
            i = bisect.bisect_right(self._starts, number) - 1  # the probe the rule is under
            proto = self._protocols[i] if i >= 0 else "tcp"
            fields = (m["fields"] or "").split("|")  # product|version|extrainfo
            values = tuple(f or None for f in fields) if len(fields) == 3 else (None,) * 3
            match = _Match(m["kind"] == "soft", m["probe"], number, bool(m["ssl"]),
                           m["service"], values, m["name"])  # type: ignore[arg-type]  # fmt: skip
            self.matches.setdefault((m["address"], int(m["port"]), proto), []).append(match)
            return
        m = _REPORT.match(line)
        if m:
            self.reported.add(m.group(1))

    def stderr(self, line: str) -> None:
        if not line.strip() or line.startswith(("NSOCK ", "NSE: ")):
            return  # --version-trace's debugging
        m = _UNRESOLVED.match(line)
        if m:
            self.unresolved.append(m.group(1))
        self.errors.append(line.strip())

    def feed(self, data: bytes, final: bool = False) -> list[ET.Element]:
        """The ``host`` elements completed by ``data``; a document cut short (nmap
        stopped) or broken ends the reading, keeping every host before."""
        hosts: list[ET.Element] = []
        if self._broken:
            return hosts
        try:
            if data:
                self._parser.feed(data)
            if final:
                self._parser.close()
        except ET.ParseError:
            self._broken = True
        try:
            for _event, elem in self._parser.read_events():
                if elem.tag == "host":
                    hosts.append(elem)
        except ET.ParseError:
            self._broken = True
        return hosts

    def ready(self, hosts: list[ET.Element], final: bool = False) -> list[ServiceRecord]:
        """Records of the hosts whose trace has been read too (all when ``final``);
        those are taken out of ``hosts``."""
        out: list[ServiceRecord] = []
        for host in list(hosts):
            address = _address(host)
            if final or address in self.reported:
                hosts.remove(host)
                out += self.records(host)
                host.clear()
        return out

    def records(self, host: ET.Element) -> list[ServiceRecord]:
        address = _address(host)
        if not address:
            return []
        self.done.add(address)
        target = next(
            (h.get("name") for h in host.iter("hostname") if h.get("type") == "user"), None
        )
        try:
            elapsed = (int(host.get("endtime", "")) - int(host.get("starttime", ""))) * 1000
        except ValueError:
            elapsed = 0
        out = []
        for port in host.iter("port"):
            rec = self._port(port, address, target, elapsed)
            if rec is not None and (self.report_closed or rec.state in OPEN_STATES):
                out.append(rec)
        if self.report_closed:  # nmap sums up the ports of a common state
            for extra in host.iter("extraports"):
                for reasons in extra.iter("extrareasons"):
                    proto, spec = reasons.get("proto", "tcp"), reasons.get("ports")
                    try:
                        numbers = parse_ports(spec, proto).pairs() if spec else []
                    except PortSpecError:
                        continue
                    state = extra.get("state", "closed")
                    out += [ServiceRecord(address, p, pr, state, target=target,
                                          elapsed_ms=elapsed) for p, pr in numbers]  # fmt: skip
        return out

    def _port(
        self, port: ET.Element, address: str, target: Optional[str], elapsed: int
    ) -> Optional[ServiceRecord]:
        proto = port.get("protocol", "tcp")
        state_el = port.find("state")
        if state_el is None:
            return None
        rec = ServiceRecord(address, int(port.get("portid", "0")), proto,
                            state_el.get("state", "unknown"), target=target,
                            elapsed_ms=elapsed)  # fmt: skip
        svc = port.find("service")
        if rec.state not in OPEN_STATES or svc is None:
            return rec
        name, tunnel, fp = svc.get("name"), svc.get("tunnel"), svc.get("servicefp")
        if svc.get("method") != "probed":
            unprobed = fp is None and rec.port in self.excluded.get(proto, ())
            if svc.get("product") == EXCLUDED or unprobed:
                return rec._replace(method="excluded")
            if rec.state != "open":  # UDP that stayed silent
                return rec
            return rec._replace(method="unknown", tunnel=tunnel,
                                replies=fingerprint_replies(fp or "") or None)  # fmt: skip
        if name == "tcpwrapped":
            return rec._replace(service=name, method="tcpwrapped")
        soft = fp is not None  # nmap keeps a fingerprint for a port it could not pin down
        match = self._decided((address, rec.port, proto), soft, tunnel == "ssl")
        if match is not None and match.service != name:
            match = None  # an NSE version script named it
        return rec._replace(
            service=name,
            product=svc.get("product"),
            version=svc.get("version"),
            extrainfo=svc.get("extrainfo"),
            hostname=svc.get("hostname"),
            ostype=svc.get("ostype"),
            devicetype=svc.get("devicetype"),
            cpe=tuple(c.text or "" for c in svc.iter("cpe")),
            tunnel=tunnel,
            method="softmatched" if soft else "matched",
            probe=match.probe if match else None,
            rule=self.origins.get(match.line) if match else None,
        )

    def _decided(self, key: tuple[str, int, str], soft: bool, ssl: bool) -> Optional[_Match]:
        """nmap's deciding match: its first soft one, or the last hard one (a hard match
        on ``ssl`` comes before the match through the tunnel)."""
        same = [m for m in self.matches.get(key, []) if m.soft == soft]
        pick = [m for m in same if m.ssl == ssl] or same
        if not pick:
            return None
        return pick[0] if soft else pick[-1]

    def leftovers(self) -> list[ServiceRecord]:
        """Matches of hosts nmap did not finish (its trace has them), and target names it
        could not resolve: found is found."""
        out = []
        for (address, port, proto), matches in self.matches.items():
            if address in self.done:
                continue
            matches = [m for m in matches if m.ssl] or matches
            hard = [m for m in matches if not m.soft]
            m = hard[-1] if hard else matches[0]
            out.append(ServiceRecord(
                address, port, proto, "open", service=m.service, product=m.fields[0],
                version=m.fields[1], extrainfo=m.fields[2], tunnel="ssl" if m.ssl else None,
                method="softmatched" if m.soft else "matched", probe=m.probe,
                rule=self.origins.get(m.line), target=m.target, error=PARTIAL,
            ))  # fmt: skip
        out += [
            ServiceRecord("", 0, "tcp", "unresolved", target=name, error=f"{name}: not resolved")
            for name in self.unresolved
        ]
        self.matches.clear()
        self.unresolved.clear()
        return out


def _address(host: ET.Element) -> str:
    for a in host.iter("address"):
        if a.get("addrtype") in ("ipv4", "ipv6"):
            return a.get("addr", "")
    return ""


def fingerprint_replies(fp: str) -> dict[str, str]:
    """The replies in nmap's service fingerprint (``r(Probe,HEXLEN,"...")``), escaped as
    the native engine escapes them (nmap's own escaping differs)."""
    fp = fp.replace("\nSF:", "")
    out: dict[str, str] = {}
    m = _REPLY.search(fp)
    while m:
        data = bytearray()
        i = m.end()
        while i < len(fp) and fp[i] != '"':
            if fp[i] == "\\" and i + 1 < len(fp):
                c = fp[i + 1]
                if c == "x":
                    try:
                        data.append(int(fp[i + 2 : i + 4], 16))
                    except ValueError:
                        break
                    i += 4
                    continue
                data.append(_FP_ESCAPES.get(c, ord(c) & 0xFF))
                i += 2
                continue
            data.append(ord(fp[i]) & 0xFF)
            i += 1
        out[m.group(1)] = escape(bytes(data))
        m = _REPLY.search(fp, i + 1)
    return out


def read_xml(
    path: str, trace: str = "", probes: Optional[Assembled] = None, report_closed: bool = True
) -> list[ServiceRecord]:
    """Records from an nmap XML file, finished or cut short, with the run's version trace
    (its stdout) and probe file for the probe and rule behind each verdict."""
    out = NmapOutput(probes, report_closed)
    for line in trace.splitlines():
        out.stdout(line)
    with open(path, "rb") as fh:
        hosts = out.feed(fh.read(), final=True)
    return out.ready(hosts, final=True) + out.leftovers()
