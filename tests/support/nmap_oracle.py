"""Ask the real nmap what it makes of replies we choose.

Each reply is served as the banner of its own loopback port (``ScriptedServers``); nmap runs ``-sV``
with a probe file written for the test (a NULL probe holding the rules under test,
copied from the installed file at run time), and its XML and ``--version-trace``
give its verdict per port: the oracle our matcher must agree with.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import NamedTuple, Optional

from fastprobe.rules.matcher import VERDICT_FIELDS
from tests.support.scripted import Script, ScriptedServers

FIELDS = VERDICT_FIELDS  # the version fields nmap prints, in the matcher's names
_TRACE = re.compile(
    r"Service scan (hard |soft |)match \(Probe (\S+) matched with (\S+) line (\d+)\): "
    r"127\.0\.0\.1:(\d+) is"
)


class NmapVerdict(NamedTuple):
    service: Optional[str]
    fields: dict[str, Optional[str]]
    cpe: tuple[str, ...]
    tunnel: Optional[str]
    soft: Optional[bool]  # None: nmap 7.9x's trace does not say when fields were filled
    line: Optional[int]


def nmap_path() -> Optional[str]:
    return shutil.which("nmap")


def null_probe_file(rule_lines: Sequence[str], waitms: int = 1500) -> str:
    """A probe file whose only probe is NULL, holding ``rule_lines`` in order."""
    head = ["Probe TCP NULL q||", f"totalwaitms {waitms}", "tcpwrappedms 100"]
    return "\n".join(head + list(rule_lines)) + "\n"


def ask_nmap(
    probe_file_text: str, banners: Sequence[bytes], timeout: float = 600
) -> list[NmapVerdict]:
    """nmap's verdict for each banner, served on its own port, using that probe file."""
    nmap = nmap_path()
    if nmap is None:
        raise RuntimeError("nmap is not installed (make setup installs it)")
    with tempfile.TemporaryDirectory(prefix="fastprobe-oracle-") as tmp:
        with open(os.path.join(tmp, "nmap-service-probes"), "w", encoding="latin-1") as fh:
            fh.write(probe_file_text)
        # an empty script database: -sV would otherwise run NSE version scripts, which
        # only add minutes of waiting on these banner-only ports
        os.mkdir(os.path.join(tmp, "scripts"))
        with open(os.path.join(tmp, "scripts", "script.db"), "w") as fh:
            fh.write("")
        with ScriptedServers([Script(banner=b, hold=30.0) for b in banners]) as server:
            xml_path = os.path.join(tmp, "out.xml")
            proc = subprocess.run(
                [
                    nmap,
                    "-sV",
                    "-sT",
                    "-Pn",
                    "-n",
                    "--version-trace",
                    "--datadir",
                    tmp,
                    "-p",
                    ",".join(map(str, server.ports)),
                    "127.0.0.1",
                    "-oX",
                    xml_path,
                ],
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                check=False,
            )
            if proc.returncode != 0:
                raise RuntimeError(f"nmap failed ({proc.returncode}): {proc.stderr[-2000:]}")
            ports = server.ports
            return _verdicts(xml_path, proc.stdout, ports)


def _verdicts(xml_path: str, trace: str, ports: Sequence[int]) -> list[NmapVerdict]:
    traced: dict[int, tuple[Optional[bool], int]] = {}
    for m in _TRACE.finditer(trace):
        soft = {"soft ": True, "hard ": False}.get(m.group(1))
        line, port = int(m.group(4)), int(m.group(5))
        if soft is not True or port not in traced:  # a later hard match wins
            traced[port] = (soft, line)
    root = ET.parse(xml_path).getroot()
    by_port: dict[int, NmapVerdict] = {}
    for port in root.iter("port"):
        num = int(port.get("portid", "0"))
        svc = port.find("service")
        if svc is None or svc.get("method") != "probed":
            by_port[num] = NmapVerdict(None, dict.fromkeys(FIELDS), (), None, None, None)
            continue
        soft, line = traced.get(num, (None, None))
        by_port[num] = NmapVerdict(
            svc.get("name"),
            {f: svc.get(f) for f in FIELDS},
            tuple(c.text or "" for c in svc.findall("cpe")),
            svc.get("tunnel"),
            soft,
            line,
        )
    return [
        by_port.get(p, NmapVerdict(None, dict.fromkeys(FIELDS), (), None, None, None))
        for p in ports
    ]
