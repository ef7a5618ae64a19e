"""Record real replies of the lab's servers together with stock nmap's verdicts.

    python tests/fidelity/capture.py [--out tests/data/fidelity/captures.json] [--only NAME...]

1. starts the lab (tests/lab) on loopback;
2. runs stock nmap on every lab address, all of its ports at once:
   ``nmap -sV --version-trace -n -Pn -sT -p PORTS ADDR -oX FILE``;
3. reads nmap's verdict for each port from the XML, and from the version trace which
   probe produced it (``Service scan [hard|soft ]match (Probe X matched with Y line N)``);
4. replays that probe itself (payload from fastprobe's probe-file parser, over TLS when
   nmap reports ``tunnel="ssl"``) and records the reply bytes;
5. writes the identified ports to ``--out`` and the ports nmap could not identify
   (with their replies to the NULL probe and GetRequest) to ``--unknown-out``.

The output is generated: never edit it by hand, regenerate it (tests/fidelity/README.md).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
try:
    import fastprobe  # noqa: F401
except ImportError:  # not installed in this interpreter: use the source tree
    sys.path.insert(0, str(ROOT / "plugins" / "module_utils"))

from fastprobe.rules.parser import parse_file  # noqa: E402
from tests.lab import Lab, Service, install_signal_handlers, package_version  # noqa: E402

PROBE_FILE = "/usr/share/nmap/nmap-service-probes"
DEFAULT_OUT = ROOT / "tests" / "data" / "fidelity" / "captures.json"
UNKNOWN_NAME = "unknown.json"

READ_LIMIT = 16 * 1024  # bytes
IDLE_AFTER_DATA = 1.0  # seconds of silence after the first data that end a read
READ_DEADLINE = 8.0  # seconds for connect + send + read, overall
NULL_WAIT = 6.0  # at most this long for a greeting nmap got before it sent the next probe
NULL_WAIT_SILENT = 0.5  # how long to listen first where nmap's NULL probe got nothing
NMAP_TIMEOUT = 1500.0  # seconds for one nmap run (a port nmap cannot name takes ~3 min)

# "Service scan match (Probe GetRequest matched with GetRequest line 6948): 127.0.0.12:80
#  is http.  Version: |nginx|1.22.1||" (any match, hard or soft, that set version fields),
# "Service scan hard match (...): 127.0.0.12:443 is ssl", "Service scan soft match (...)".
# Whether a rule is soft is read from the probe file's line, not from this wording.
TRACE_MATCH_RE = re.compile(
    r"^Service scan (?:(?:hard|soft) )?match \(Probe (?P<probe>\S+) matched with "
    r"(?P<matched>\S+) line (?P<line>\d+)\): (?P<host>[\d.]+):(?P<port>\d+) is "
    r"(?P<ssl>SSL/)?(?P<service>[^\s.]+(?:\.[^\s.]+)*?)(?:\.  Version: \|.*)?$"
)
TRACE_SEND_RE = re.compile(r"^Service scan sending probe (?P<probe>\S+) to [\d.]+:(?P<port>\d+) ")
TRACE_CONNECT_RE = re.compile(r"nsock_connect_(?:tcp|ssl)\(\): .* to [\d.]+:(?P<port>\d+)\b")
TRACE_READ_RE = re.compile(
    r"Callback: READ SUCCESS for EID \d+ \[[\d.]+:(?P<port>\d+)\] (?:\[EOF\])?"
    r"\((?P<n>\d+) bytes\)"
)


@dataclass
class TraceMatch:
    soft: bool  # the rule is a softmatch
    probe: str  # the probe that was sent
    matched_with: str  # the probe whose rules matched (differs for fallbacks)
    line: int  # line of the match/softmatch rule in nmap-service-probes
    port: int
    ssl: bool  # nmap sent the probe over TLS ("is SSL/...")
    service: str  # as the rule names it: "http", or "ssl/http" for a TLS service
    # What nmap had read when it matched: the sizes of its reads, in order. nmap
    # matches after every read, so later bytes played no part in the verdict.
    reads: list[int] = field(default_factory=list)
    # nmap sent the probe on the NULL probe's connection after the NULL probe timed
    # out; then the NULL probe's reply (the first null_bytes) heads the buffer.
    after_null: bool = False
    null_bytes: int = 0

    @property
    def name(self) -> str:
        """The service name nmap reports ("ssl/http" -> "http")."""
        return self.service[4:] if self.service.startswith("ssl/") else self.service

    @property
    def tunnel_ssl(self) -> bool:
        """nmap reports tunnel="ssl": the probe went over TLS, or the rule said ssl/."""
        return self.ssl or self.service.startswith("ssl/")


@dataclass
class Verdict:
    """nmap's XML verdict for one port."""

    port: int
    protocol: str
    state: str
    service: Optional[str] = None
    product: Optional[str] = None
    version: Optional[str] = None
    extrainfo: Optional[str] = None
    hostname: Optional[str] = None
    ostype: Optional[str] = None
    devicetype: Optional[str] = None
    tunnel: Optional[str] = None
    method: Optional[str] = None
    conf: Optional[int] = None
    servicefp: Optional[str] = None
    cpe: list[str] = field(default_factory=list)


def rule_kinds(path: str = PROBE_FILE) -> dict[int, bool]:
    """Line number -> True for ``softmatch``, False for ``match`` lines of the probe file."""
    kinds: dict[int, bool] = {}
    with open(path, encoding="latin-1") as fh:
        for number, text in enumerate(fh, 1):
            if text.startswith("softmatch "):
                kinds[number] = True
            elif text.startswith("match "):
                kinds[number] = False
    return kinds


@dataclass
class _PortState:
    reads: list[int] = field(default_factory=list)
    probe: Optional[str] = None  # probe in flight on the current connection
    after_null: bool = False
    null_bytes: int = 0


def parse_trace(text: str, soft_lines: dict[int, bool]) -> dict[int, list[TraceMatch]]:
    """Match lines of ``--version-trace`` output by port, in order, each with what nmap
    had read on that probe's buffer when it matched.

    nmap keeps one response buffer per probe; a new connection starts a new one, and the
    first probe after a NULL probe that timed out is sent on the same connection and
    appends to the NULL probe's buffer (service_scan.cc, startNextProbe/nextProbe).
    """
    found: dict[int, list[TraceMatch]] = {}
    states: dict[int, _PortState] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("NSE: Script scanning"):
            break  # version scripts' connections follow: not the service scan's
        if m := TRACE_CONNECT_RE.search(line):
            states[int(m.group("port"))] = _PortState()
        elif m := TRACE_SEND_RE.match(line):
            st = states.setdefault(int(m.group("port")), _PortState())
            probe = m.group("probe")
            if st.probe == "NULL" and probe != "NULL":
                st.after_null, st.null_bytes = True, sum(st.reads)
            else:
                st.reads, st.after_null, st.null_bytes = [], False, 0
            st.probe = probe
        elif m := TRACE_READ_RE.search(line):
            states.setdefault(int(m.group("port")), _PortState()).reads.append(int(m.group("n")))
        elif m := TRACE_MATCH_RE.match(line):
            port = int(m.group("port"))
            st = states.setdefault(port, _PortState())
            number = int(m.group("line"))
            tm = TraceMatch(
                soft=soft_lines.get(number, False),
                probe=m.group("probe"),
                matched_with=m.group("matched"),
                line=number,
                port=port,
                ssl=bool(m.group("ssl")),
                service=m.group("service"),
                reads=list(st.reads),
                after_null=st.after_null and m.group("probe") != "NULL",
                null_bytes=st.null_bytes if m.group("probe") != "NULL" else 0,
            )
            found.setdefault(port, []).append(tm)
    return found


def parse_xml(path: Path) -> tuple[str, dict[int, Verdict]]:
    """nmap's version and the verdict of every TCP port in an -oX file."""
    root = ET.parse(path).getroot()
    version = root.get("version", "")
    verdicts: dict[int, Verdict] = {}
    for port in root.iter("port"):
        state = port.find("state")
        v = Verdict(
            port=int(port.get("portid", "0")),
            protocol=port.get("protocol", "tcp"),
            state=state.get("state", "") if state is not None else "",
        )
        svc = port.find("service")
        if svc is not None:
            for attr in ("product", "version", "extrainfo", "hostname", "ostype",
                         "devicetype", "tunnel", "method", "servicefp"):  # fmt: skip
                setattr(v, attr, svc.get(attr) or None)
            v.service = svc.get("name") or None
            conf = svc.get("conf")
            v.conf = int(conf) if conf else None
            v.cpe = [c.text for c in svc.findall("cpe") if c.text]
        verdicts[v.port] = v
    return version, verdicts


def final_match(verdict: Verdict, matches: list[TraceMatch]) -> Optional[TraceMatch]:
    """The trace line that produced the XML verdict: the last hard match for the
    reported service (and tunnel), else the first soft match for it."""
    ssl_tunnel = verdict.tunnel == "ssl"
    same = [m for m in matches if m.name == verdict.service and m.tunnel_ssl == ssl_tunnel]
    hard = [m for m in same if not m.soft]
    if hard:
        return hard[-1]
    soft = [m for m in same if m.soft]
    return soft[0] if soft else None


def run_nmap(
    host: str,
    ports: list[int],
    workdir: Path,
    nmap: str = "nmap",
    tag: str = "nmap",
    extra: Sequence[str] = (),
) -> tuple[str, Path, float]:
    """nmap (stock unless ``nmap`` names another build, with ``extra`` arguments such
    as ``--versiondb FILE``) on one loopback address; returns (trace text, XML path,
    seconds)."""
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"refusing to scan {host}: the lab is on 127.0.0.0/8 only")
    xml_path = workdir / f"{tag}-{host}.xml"
    argv = [
        nmap, "-sV", "--version-trace", "-n", "-Pn", "-sT",
        "-p", ",".join(str(p) for p in sorted(ports)), *extra, host, "-oX", str(xml_path),
    ]  # fmt: skip
    t0 = time.monotonic()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    try:
        out, _ = proc.communicate(timeout=NMAP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=10)
        raise RuntimeError(f"nmap on {host} did not finish within {NMAP_TIMEOUT:.0f}s") from None
    text = out.decode("utf-8", "replace")
    (workdir / f"{tag}-{host}.trace").write_text(text)
    if proc.returncode != 0:
        raise RuntimeError(f"nmap on {host} failed ({proc.returncode}): {text[-500:]}")
    return text, xml_path, time.monotonic() - t0


def _read_into(
    sock: socket.socket, data: bytearray, deadline: float, until: Optional[int] = None
) -> bool:
    """recv into data until the peer closes (returns False), READ_LIMIT, the deadline,
    IDLE_AFTER_DATA s of silence after the first new data, or ``until`` bytes in all."""
    start = len(data)
    while len(data) < READ_LIMIT and (until is None or len(data) < until):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(min(left, IDLE_AFTER_DATA) if len(data) > start else left)
        try:
            chunk = sock.recv(READ_LIMIT - len(data))
        except (socket.timeout, TimeoutError):
            break
        if not chunk:
            return False
        data += chunk
    return True


def exchange(
    host: str,
    port: int,
    payload: bytes,
    use_tls: bool,
    null_bytes: Optional[int] = None,
    source: Optional[str] = None,
) -> bytes:
    """Connect, send payload (nothing for the NULL probe), read the reply.

    Reading stops when the peer closes, at READ_LIMIT bytes, after IDLE_AFTER_DATA s of
    silence once data came, or at READ_DEADLINE s overall. With ``null_bytes`` the probe
    goes where nmap sent it: on the NULL probe's connection, after its greeting (read
    until null_bytes came, at most NULL_WAIT s); the greeting heads the result then.
    Errors keep the data read so far. ``source`` is the local address to connect from.
    """
    data = bytearray()
    try:
        bind = (source, 0) if source else None
        raw = socket.create_connection((host, port), timeout=3.0, source_address=bind)
    except OSError:
        return b""
    sock: socket.socket = raw
    try:
        if use_tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(raw, server_hostname=None)
        if null_bytes is not None:
            wait = NULL_WAIT if null_bytes else NULL_WAIT_SILENT
            if not _read_into(sock, data, time.monotonic() + wait, until=null_bytes):
                return bytes(data)
        if payload:
            sock.sendall(payload)
        _read_into(sock, data, time.monotonic() + READ_DEADLINE)
    except (OSError, ssl.SSLError):
        pass
    finally:
        sock.close()
    return bytes(data)


def _nmap_fields(v: Verdict, tm: Optional[TraceMatch]) -> dict[str, Any]:
    return {
        "service": v.service if tm is not None else None,
        "product": v.product,
        "version": v.version,
        "extrainfo": v.extrainfo,
        "hostname": v.hostname,
        "ostype": v.ostype,
        "devicetype": v.devicetype,
        "cpe": list(v.cpe),
        "soft": tm.soft if tm is not None else None,
        "line": tm.line if tm is not None else None,
        "matched_with": tm.matched_with if tm is not None else None,
        "method": v.method,
        "conf": v.conf,
    }


def capture(
    services: list[Service], workdir: Path, log: Any = sys.stderr
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run nmap on the services and replay the deciding probes; (identified, unknown)."""
    pf = parse_file(PROBE_FILE)
    probes = {(p.protocol.upper(), p.name): p for p in pf.probes}
    soft_lines = rule_kinds(PROBE_FILE)
    by_host: dict[str, list[Service]] = {}
    for svc in services:
        by_host.setdefault(svc.host, []).append(svc)
    versions: dict[str, Optional[str]] = {}

    def version_of(package: str) -> Optional[str]:
        if package not in versions:
            versions[package] = package_version(package)
        return versions[package]

    def replies(svc: Service, use_tls: bool) -> dict[str, str]:
        return {
            name: exchange(svc.host, svc.port, probes[("TCP", name)].payload, use_tls).hex()
            for name in ("NULL", "GetRequest")
        }

    def record(svc: Service, v: Verdict, tm: Optional[TraceMatch], version: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": svc.name,
            "server": svc.server,
            "package": svc.package,
            "package_version": version_of(svc.package),
            "host": svc.host,
            "port": svc.port,
            "protocol": svc.protocol,
            "tunnel": v.tunnel,
        }
        use_tls = v.tunnel == "ssl"
        if tm is not None:
            probe = probes.get(("TCP", tm.probe))
            if probe is None:
                raise RuntimeError(f"{svc.name}: nmap used probe {tm.probe}, the parser has none")
            entry["probe"] = tm.probe
            # Over TLS only if nmap sent it over TLS: a rule may also say "ssl/http"
            # about a plain-text reply (nginx's "plain HTTP request sent to HTTPS port").
            entry["sent_over_tls"] = tm.ssl
            entry["after_null"] = tm.after_null
            entry["nmap_reads"] = list(tm.reads)
            null_bytes = tm.null_bytes if tm.after_null else None
            reply = exchange(svc.host, svc.port, probe.payload, tm.ssl, null_bytes)
            # nmap matched on what it had read so far: keep exactly that many bytes.
            seen = sum(tm.reads)
            cut = seen if 0 < seen <= len(reply) else len(reply)
            entry["reply_hex"] = reply[:cut].hex()
            entry["reply_rest_hex"] = reply[cut:].hex()
            entry["replay_complete"] = len(reply) >= seen
        else:
            entry["probe"] = None
            entry["replies_hex"] = replies(svc, use_tls)
            if svc.tls and not use_tls:
                # The lab knows this port speaks TLS although nmap did not find out.
                entry["replies_tls_hex"] = replies(svc, True)
            entry["nmap_state"] = v.state
            # What nmap printed anyway: a guess from the port number (method "table"),
            # "tcpwrapped", or a name set by a version script (NSE), not by a rule.
            entry["nmap_service"] = v.service
            entry["servicefp"] = v.servicefp
        entry["nmap"] = _nmap_fields(v, tm)
        entry["nmap_version"] = version
        return entry

    def scan_and_replay(host: str) -> list[dict[str, Any]]:
        # Replays follow each host's nmap run at once, so that the servers have changed
        # as little as possible since nmap saw them.
        text, xml_path, secs = run_nmap(host, [s.port for s in by_host[host]], workdir)
        nmap_version, verdicts = parse_xml(xml_path)
        traces = parse_trace(text, soft_lines)
        print(f"  nmap {host}: {len(verdicts)} ports in {secs:.0f}s", file=log)
        entries = []
        for svc in by_host[host]:
            v = verdicts.get(svc.port) or Verdict(port=svc.port, protocol="tcp", state="absent")
            entries.append(record(svc, v, final_match(v, traces.get(svc.port, [])), nmap_version))
        return entries

    with ThreadPoolExecutor(max_workers=12) as pool:
        entries = [e for batch in pool.map(scan_and_replay, sorted(by_host)) for e in batch]
    identified = sorted((e for e in entries if e["probe"] is not None), key=lambda e: e["id"])
    unknown = sorted((e for e in entries if e["probe"] is None), key=lambda e: e["id"])
    return identified, unknown


def _merge(path: Path, fresh: list[dict[str, Any]], servers: set[str]) -> list[dict[str, Any]]:
    """Entries of ``path`` for other servers, plus ``fresh`` (for --only runs)."""
    old: list[dict[str, Any]] = []
    if path.exists():
        old = [e for e in json.loads(path.read_text()) if e.get("server") not in servers]
    return sorted(old + fresh, key=lambda e: e["id"])


def _write(path: Path, entries: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(entries, indent=2, sort_keys=True, ensure_ascii=True) + "\n")
    tmp.replace(path)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="identified ports (JSON)")
    parser.add_argument(
        "--unknown-out", type=Path, default=None,
        help=f"ports nmap could not identify (default: {UNKNOWN_NAME} beside --out)",
    )  # fmt: skip
    parser.add_argument("--only", nargs="+", metavar="NAME", help="lab servers to capture")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep nmap's XML and traces")
    args = parser.parse_args(argv)
    unknown_out = args.unknown_out or args.out.with_name(UNKNOWN_NAME)
    if shutil.which("nmap") is None:
        print("nmap is not installed (scripts/install-system-deps)", file=sys.stderr)
        return 2
    install_signal_handlers()
    names = args.only or Lab.names()
    bad = [n for n in names if n not in Lab.names()]
    if bad:
        parser.error(f"unknown lab servers: {', '.join(bad)} (known: {', '.join(Lab.names())})")

    workdir = Path(tempfile.mkdtemp(prefix="fastprobe-capture-"))
    t0 = time.monotonic()
    try:
        with Lab() as lab:
            lab.start_all(names)
            t_lab = time.monotonic() - t0
            print(f"lab: {len(lab.servers)} servers, {len(lab.services)} ports up in "
                  f"{t_lab:.1f}s", file=sys.stderr)  # fmt: skip
            for note in lab.notes:
                print(f"  note: {note}", file=sys.stderr)
            for name, reason in sorted(lab.skipped.items()):
                print(f"  skipped {name}: {reason.strip().splitlines()[0]}", file=sys.stderr)
            identified, unknown = capture(lab.services, workdir)
            started = set(lab.servers)
    finally:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for f in workdir.iterdir():
                shutil.copy2(f, args.keep / f.name)
        shutil.rmtree(workdir, ignore_errors=True)
    if args.only:
        identified = _merge(args.out, identified, set(names))
        unknown = _merge(unknown_out, unknown, set(names))
    elif not started:
        print("no lab server started: nothing written", file=sys.stderr)
        return 1
    _write(args.out, identified)
    _write(unknown_out, unknown)
    print(
        f"{len(identified)} identified ports -> {args.out}, {len(unknown)} unidentified -> "
        f"{unknown_out}; total {time.monotonic() - t0:.0f}s",
        file=sys.stderr,
    )
    for e in identified:
        n = e["nmap"]
        what = " ".join(x for x in (n["product"], n["version"], n["extrainfo"]) if x)
        kind = "soft" if n["soft"] else "hard"
        tunnel = "ssl/" if e["tunnel"] else ""
        print(f"  {e['id']:28} {e['host']}:{e['port']:<5} {tunnel}{n['service']} "
              f"[{kind} {e['probe']} l.{n['line']}] {what}", file=sys.stderr)  # fmt: skip
    for e in unknown:
        print(f"  {e['id']:28} {e['host']}:{e['port']:<5} unidentified "
              f"(nmap: {e['nmap_service']} {e['nmap']['method']})", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
