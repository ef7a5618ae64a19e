"""Records as nmap's XML (``-oX``), for the tools that read it: ndiff, python-libnmap,
inventory plugins. Hosts group their ports, so the document is written at the end."""

from __future__ import annotations

import ipaddress
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import IO, Optional

from ..version import __version__
from .ports import service_names
from .records import ServiceRecord

_REASON = {"open": "syn-ack", "closed": "conn-refused", "filtered": "no-response"}
_CONF = {"matched": "10", "softmatched": "10", "tcpwrapped": "8"}


def _service(rec: ServiceRecord, table: dict[tuple[int, str], str]) -> ET.Element:
    probed = rec.method in _CONF
    name = rec.service if probed and rec.service else table.get((rec.port, rec.protocol), "unknown")
    attrs = {"name": name}
    for field in ("product", "version", "extrainfo", "hostname", "ostype", "devicetype", "tunnel"):
        value = getattr(rec, field)
        if value:
            attrs[field] = value
    attrs["method"] = "probed" if probed else "table"
    attrs["conf"] = _CONF.get(rec.method or "", "3")
    elem = ET.Element("service", attrs)
    for cpe in rec.cpe:
        ET.SubElement(elem, "cpe").text = cpe
    return elem


def to_xml(
    records: Iterable[ServiceRecord],
    *,
    args: str,
    start: float,
    end: Optional[float] = None,
) -> ET.ElementTree:
    end = time.time() if end is None else end
    records = list(records)
    table = service_names()
    ports = sorted({(r.port, r.protocol) for r in records if r.address})
    root = ET.Element(
        "nmaprun",
        {
            "scanner": "fastprobe",
            "args": args,
            "start": str(int(start)),
            "startstr": time.ctime(start),
            "version": __version__,
            "xmloutputversion": "1.05",
        },
    )
    for proto in ("tcp", "udp"):
        numbers = [p for p, pr in ports if pr == proto]
        if numbers:
            ET.SubElement(
                root,
                "scaninfo",
                {
                    "type": "connect" if proto == "tcp" else "udp",
                    "protocol": proto,
                    "numservices": str(len(numbers)),
                    "services": ",".join(map(str, numbers)),
                },
            )
    ET.SubElement(root, "verbose", level="0")
    ET.SubElement(root, "debugging", level="0")
    hosts: dict[str, list[ServiceRecord]] = {}
    for r in records:
        if r.address:
            hosts.setdefault(r.address, []).append(r)
    for address in sorted(
        hosts, key=lambda a: (ipaddress.ip_address(a).version, ipaddress.ip_address(a))
    ):
        recs = sorted(hosts[address], key=lambda r: (r.protocol, r.port))
        host = ET.SubElement(root, "host", starttime=str(int(start)), endtime=str(int(end)))
        ET.SubElement(host, "status", state="up", reason="user-set", reason_ttl="0")
        kind = "ipv4" if ipaddress.ip_address(address).version == 4 else "ipv6"
        ET.SubElement(host, "address", addr=address, addrtype=kind)
        names = ET.SubElement(host, "hostnames")
        for name in sorted({r.target for r in recs if r.target}):
            ET.SubElement(names, "hostname", name=name, type="user")
        port_list = ET.SubElement(host, "ports")
        for r in recs:
            port = ET.SubElement(port_list, "port", protocol=r.protocol, portid=str(r.port))
            ET.SubElement(
                port, "state", state=r.state, reason=_REASON.get(r.state, "unknown"), reason_ttl="0"
            )
            if r.state in ("open", "open|filtered"):
                port.append(_service(r, table))
    stats = ET.SubElement(root, "runstats")
    ET.SubElement(
        stats,
        "finished",
        {
            "time": str(int(end)),
            "timestr": time.ctime(end),
            "elapsed": f"{end - start:.2f}",
            "summary": f"fastprobe done: {len(hosts)} IP address(es) scanned",
            "exit": "success",
        },
    )
    ET.SubElement(stats, "hosts", up=str(len(hosts)), down="0", total=str(len(hosts)))
    return ET.ElementTree(root)


def write_xml(tree: ET.ElementTree, fh: IO[bytes]) -> None:
    fh.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n')
    ET.indent(tree)
    tree.write(fh, encoding="utf-8", xml_declaration=False)
    fh.write(b"\n")
