"""engine: nmap — the real nmap on loopback servers, its XML and version trace read back
as the native engine's records, compared with the native engine's on the same servers.

Stock nmap waits 5-6 s for each probe a port does not answer; the probe files here
are assembled with 100 ms waits so the tests stay short.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fastprobe.engine import nmaprun
from fastprobe.engine.nmaprun import (
    PARTIAL,
    NmapError,
    NmapScanner,
    fingerprint_replies,
    nmap_scanner,
    port_args,
    read_xml,
)
from fastprobe.engine.options import OptionError
from fastprobe.engine.ports import Ports, parse_ports
from fastprobe.engine.records import ServiceRecord
from fastprobe.engine.scan import Scanner
from fastprobe.rules.assemble import Source
from fastprobe.rules.ruleset import RuleSet
from tests.support.scripted import Script, ScriptedServers, ThreadedTlsServer

pytestmark = pytest.mark.nmap

NMAP = shutil.which("nmap") or "nmap"
FIELDS = ("state", "service", "product", "version", "extrainfo", "hostname", "ostype",
          "devicetype", "cpe", "tunnel", "method", "probe", "rule", "target")  # fmt: skip
SSH = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
HTTP = b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\n\r\nhello"
NGINX = b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\n\r\n"
TARGETS = ["127.0.0.1", "localhost"]  # two hosts in nmap's XML, one address


def run(scanner: Any, ports: Any, targets: list[str] = TARGETS, **kw: Any) -> list[ServiceRecord]:
    async def collect() -> list[ServiceRecord]:
        return [r async for r in scanner.scan(targets, ports, **kw)]

    return asyncio.run(asyncio.wait_for(collect(), 300))  # bounded: nmap is stopped after


def keyed(records: list[ServiceRecord]) -> dict[tuple, ServiceRecord]:
    return {(r.target, r.port, r.protocol): r for r in records}


@pytest.fixture(scope="module")
def quick_nmap() -> NmapScanner:
    """nmap with its own probe file (Exclude kept, as the native default), 100 ms waits."""
    return nmap_scanner(NMAP, totalwaitms=100, tcpwrappedms=100, exclude_mode="keep")


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    d = tmp_path_factory.mktemp("tls")
    key, cert = str(d / "key.pem"), str(d / "cert.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=lab.example.org", "-keyout", key, "-out", cert],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def _printer_port() -> socket.socket:
    """A listening socket on a port of nmap's ``Exclude T:9100-9107``."""
    for port in range(9100, 9108):
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        sock.listen(8)
        return sock
    pytest.fail("every port of 9100-9107 is taken on 127.0.0.1")


@pytest.fixture(scope="module")
def both(
    quick_nmap: NmapScanner, nmap_rules: RuleSet, tls_context: ssl.SSLContext, tmp_path_factory
) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The same loopback servers scanned by the native engine and by nmap."""
    scripts = [
        Script(banner=SSH, hold=2),
        Script(replies=((b"GET ", 0.0, HTTP),), hold=2),
        Script(banner=b"220 whatever ESMTP\r\n", hold=2),  # soft: smtp
        Script(banner=b"WELCOME TO ACME CONTROL v3.2\r\n", hold=2),  # unknown
        Script(close_at_once=True),  # tcpwrapped
    ]
    xml = tmp_path_factory.mktemp("nmap") / "nmap.xml"
    printer = _printer_port()
    try:
        with ScriptedServers(scripts) as s, ThreadedTlsServer(tls_context, NGINX) as tls:
            ports = [*s.ports, tls.port, printer.getsockname()[1]]
            spec = parse_ports(",".join(map(str, ports)))
            native = run(Scanner(nmap_rules), spec)
            start = time.monotonic()
            nmap = run(NmapScanner(quick_nmap.nmap, quick_nmap.probes, xml_path=str(xml)), spec)
            took = time.monotonic() - start
    finally:
        printer.close()
    names = ["ssh", "http", "smtp", "acme", "wrapped", "tls", "printer"]
    yield {"native": native, "nmap": nmap, "ports": dict(zip(names, ports)), "xml": xml,
           "took": took}  # fmt: skip


def test_nmap_engine_gives_the_native_engines_records(both: dict) -> None:
    native, nmap = keyed(both["native"]), keyed(both["nmap"])
    assert set(nmap) == set(native)
    assert len(nmap) == 2 * len(both["ports"])  # each port under both target names
    for key, theirs in nmap.items():
        ours = native[key]
        assert [getattr(theirs, f) for f in FIELDS] == [getattr(ours, f) for f in FIELDS], key
    assert both["took"] < 90  # generous: nmap's NSE version scripts run too


def test_each_kind_of_verdict(both: dict) -> None:
    by_port = {r.port: r for r in both["nmap"] if r.target == "localhost"}
    p = both["ports"]
    ssh = by_port[p["ssh"]]
    assert (ssh.service, ssh.product, ssh.method, ssh.probe) == (
        "ssh",
        "OpenSSH",
        "matched",
        "NULL",
    )
    assert ssh.cpe == ("cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel")
    assert ssh.rule and ssh.rule.startswith("/usr/share/nmap/nmap-service-probes:")
    assert (by_port[p["http"]].product, by_port[p["http"]].probe) == (
        "SimpleHTTPServer",
        "GetRequest",
    )
    smtp = by_port[p["smtp"]]
    assert (smtp.service, smtp.method, smtp.probe) == ("smtp", "softmatched", "NULL")
    acme = by_port[p["acme"]]
    assert (acme.service, acme.method) == (None, "unknown")
    assert acme.replies and acme.replies["NULL"] == r"WELCOME TO ACME CONTROL v3.2\r\n"
    assert (by_port[p["wrapped"]].service, by_port[p["wrapped"]].method) == ("tcpwrapped",) * 2
    tls = by_port[p["tls"]]
    assert (tls.service, tls.product, tls.tunnel, tls.method) == ("http", "nginx", "ssl", "matched")
    printer = by_port[p["printer"]]
    assert (printer.state, printer.service, printer.product, printer.method) == (
        "open", None, None, "excluded"
    )  # fmt: skip


def test_unknown_ports_keep_the_replies_nmap_saw(both: dict) -> None:
    """nmap's fingerprint holds fewer replies than the native engine keeps (it stops at
    ~2200 characters); those it holds are the same, escaped the same way."""
    port = both["ports"]["acme"]
    native = next(r for r in both["native"] if r.port == port)
    nmap = next(r for r in both["nmap"] if r.port == port)
    assert nmap.replies and native.replies and len(nmap.replies) >= 5
    assert set(nmap.replies) <= set(native.replies)
    assert all(nmap.replies[k] == native.replies[k] for k in nmap.replies)


def test_a_cut_xml_keeps_the_hosts_it_finished(both: dict, quick_nmap: NmapScanner) -> None:
    text = both["xml"].read_bytes()
    full = read_xml(str(both["xml"]), probes=quick_nmap.probes, report_closed=False)
    assert [(r.target, r.port) for r in full] == [(r.target, r.port) for r in both["nmap"]]
    first_end = text.index(b"</host>") + len(b"</host>")
    second = text.index(b"<host", first_end)
    cut = both["xml"].with_name("cut.xml")
    first_host = [r for r in full if r.target is None]
    second_end = text.index(b"</host>", second)
    for at in (second + 200, second_end - 5, first_end + 1):  # in host 2, at its end, before it
        cut.write_bytes(text[:at])
        assert read_xml(str(cut), probes=quick_nmap.probes) == first_host, at
    cut.write_bytes(text[: second_end + 20])  # both hosts finished, the document not
    assert read_xml(str(cut), probes=quick_nmap.probes) == full
    cut.write_bytes(text[:first_end] + b"<host><bad</host>")  # garbage after a finished host
    assert read_xml(str(cut), probes=quick_nmap.probes) == first_host
    cut.write_bytes(text[: first_end - 50])
    assert read_xml(str(cut), probes=quick_nmap.probes) == []


def test_a_host_nmap_did_not_finish_comes_back_from_its_trace(
    both: dict, quick_nmap: NmapScanner
) -> None:
    ssh = next(r for r in both["native"] if r.port == both["ports"]["ssh"])
    origin = {v: k for k, v in quick_nmap.probes.origins.items()}[ssh.rule]
    trace = (
        f"Service scan match (Probe NULL matched with NULL line {origin}): "
        f"localhost (127.0.0.1):{ssh.port} is ssh.  Version: |OpenSSH|9.2p1 Debian 2+deb12u3|"
        "protocol 2.0|\nNSE: Script scanning 127.0.0.1.\n"
    )
    cut = both["xml"].with_name("cut-early.xml")
    cut.write_bytes(both["xml"].read_bytes()[:600])  # not one host finished
    (r,) = read_xml(str(cut), trace, quick_nmap.probes)
    assert (r.address, r.target, r.method, r.probe) == ("127.0.0.1", "localhost", "matched", "NULL")
    assert (r.port, r.service, r.product, r.version, r.extrainfo, r.rule, r.error) == (
        ssh.port, "ssh", "OpenSSH", "9.2p1 Debian 2+deb12u3", "protocol 2.0", ssh.rule, PARTIAL
    )  # fmt: skip


def test_udp_is_scanned_as_root_like_the_native_engine(
    quick_nmap: NmapScanner, nmap_rules: RuleSet
) -> None:
    if os.geteuid() != 0:
        pytest.fail("nmap -sU needs root (the tests run as root in `make test`)")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                _data, peer = sock.recvfrom(4096)
            except OSError:
                continue
            sock.sendto(b"ACME UDP READY\r\n", peer)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        spec = parse_ports(f"U:{sock.getsockname()[1]}")
        (native,) = run(Scanner(nmap_rules), spec, ["127.0.0.1"])
        (nmap,) = run(quick_nmap, spec, ["127.0.0.1"])
    finally:
        stop.set()
        server.join(5)
        sock.close()
    assert (nmap.protocol, nmap.state, nmap.method) == ("udp", "open", "unknown")
    assert [getattr(nmap, f) for f in FIELDS] == [getattr(native, f) for f in FIELDS]
    assert nmap.replies and set(nmap.replies) <= set(native.replies or {})


def test_stopping_a_scan_stops_nmap_and_keeps_what_it_found(nmap_rules: RuleSet) -> None:
    """Stock waits: nmap would spend minutes on the silent port. Cancelled after 2.5 s,
    nmap is stopped by its PID, and the ssh port it had already matched is kept."""
    scanner = nmap_scanner(NMAP)
    got: list[ServiceRecord] = []

    async def main(ports: Ports) -> None:
        async def consume() -> None:
            async for record in scanner.scan(["127.0.0.1"], ports):
                got.append(record)

        task = asyncio.ensure_future(consume())
        await asyncio.sleep(2.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with ScriptedServers([Script(banner=SSH, hold=30), Script(hold=30)]) as s:
        start = time.monotonic()
        asyncio.run(main(parse_ports(",".join(map(str, s.ports)))))
        took = time.monotonic() - start
        (native,) = run(Scanner(nmap_rules), parse_ports(str(s.ports[0])), ["127.0.0.1"])
    assert took < 20
    assert scanner.pid and not os.path.exists(f"/proc/{scanner.pid}")
    (ssh,) = got
    assert (ssh.service, ssh.product, ssh.rule, ssh.error) == (
        "ssh",
        "OpenSSH",
        native.rule,
        PARTIAL,
    )


def test_nmap_failing_is_an_error_with_its_message(quick_nmap: NmapScanner) -> None:
    broken = quick_nmap.probes._replace(text="Probe TCP NULL q||\nnot-a-directive x\n")
    with pytest.raises(
        NmapError, match=r"nmap exited with status 1: Parse error on line 2 .* unknown directive"
    ):
        run(NmapScanner(quick_nmap.nmap, broken), parse_ports("1"), ["127.0.0.1"])


def test_names_nmap_cannot_resolve(quick_nmap: NmapScanner) -> None:
    (r,) = run(quick_nmap, parse_ports("1"), ["no-such-host.invalid"])
    assert (r.state, r.target) == ("unresolved", "no-such-host.invalid")


def test_closed_ports_when_asked(quick_nmap: NmapScanner, tmp_path: Path) -> None:
    """Bound but not listening, 40 ports refuse connections; without ``--open`` they
    are records too. nmap sums up many ports of one state in ``extraports`` (not with
    ``--version-trace`` below a few hundred): read back port by port."""
    closed = NmapScanner(quick_nmap.nmap, quick_nmap.probes, report_closed=True)
    held = [socket.socket() for _ in range(40)]
    try:
        for sock in held:
            sock.bind(("127.0.0.1", 0))
        refusing = [sock.getsockname()[1] for sock in held]
        with ScriptedServers([Script(banner=SSH, hold=2)]) as s:
            spec = parse_ports(",".join(map(str, [s.ports[0], *refusing])))
            records = run(closed, spec, ["127.0.0.1"])
    finally:
        for sock in held:
            sock.close()
    states = {r.port: r.state for r in records}
    assert len(records) == len(states) == 41
    assert states.pop(s.ports[0]) == "open"
    assert set(states) == set(refusing) and set(states.values()) == {"closed"}
    xml = tmp_path / "plain.xml"
    subprocess.run([NMAP, "-sT", "-Pn", "-n", "-p", "20000-21000", "127.0.0.1", "-oX", str(xml)],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    assert b"<extraports" in xml.read_bytes()
    summed = read_xml(str(xml))
    assert sorted(r.port for r in summed) == list(range(20000, 21001))
    assert {r.state for r in summed} <= {"open", "closed"} and "closed" in {r.state for r in summed}


def test_options_name_what_is_wrong(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(OptionError, match=r"^nmap_path: /nonexistent/nmap: no executable"):
        nmaprun.find_nmap("/nonexistent/nmap")
    monkeypatch.setattr(nmaprun, "ROLE_NMAP", "/nonexistent/nmap")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(OptionError, match=r"^nmap_path: nmap was not found"):
        nmaprun.find_nmap()
    with pytest.raises(OptionError, match=r"^intensity: "):
        nmap_scanner(NMAP, intensity=10)
    with pytest.raises(OptionError, match=r"^rules: mine.probes:2: "):
        nmap_scanner(NMAP, overlays=[Source("mine.probes", "Probe TCP M q|x|\nmatch m m|(|\n")])
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(OptionError, match=r"^ports: UDP ports need nmap -sU, which needs root"):
        port_args(parse_ports("22,U:53"))


def test_which_nmap_and_which_probe_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The role's build comes first, and its own probe file with it."""
    prefix = tmp_path / "opt"
    binary = prefix / "bin" / "nmap"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(0o755)
    datadir = prefix / "share" / "nmap"
    datadir.mkdir(parents=True)
    (datadir / "nmap-service-probes").write_text("Probe TCP NULL q||\nmatch own m|^OWN|\n")
    monkeypatch.setattr(nmaprun, "ROLE_NMAP", str(binary))
    assert nmaprun.find_nmap() == str(binary)
    scanner = nmap_scanner()
    assert scanner.nmap == str(binary)
    assert f"# Base: {datadir / 'nmap-service-probes'}" in scanner.probes.text
    assert "match own m|^OWN|" in scanner.probes.text and scanner.probes.rules == 1


def test_port_list_and_fingerprint_reading() -> None:
    assert port_args(Ports((22, 23, 24, 80), ()))[-2:] == ["-p", "T:22-24,80"]
    assert port_args(500) == ["-sT", "--top-ports", "500"]
    fp = 'SF-Port9-TCP:V=7.93%r(NULL,B,"a\\x20b\\.\\0\\r\\n\\"")%r(Get\nSF:Request,3,"x\\(\\\\");'
    assert fingerprint_replies(fp) == {"NULL": 'a b.\\0\\r\\n"', "GetRequest": "x(\\\\"}
