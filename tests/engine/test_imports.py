"""--from: open ports from other tools' output; nmap's own files made by real nmap."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fastprobe.engine.imports import ImportFileError, read_endpoints
from tests.support.scripted import Script, ScriptedServers

MASSCAN_JSON = """[
{   "ip": "127.0.0.5",   "timestamp": "1700000000", "ports": [ {"port": 80, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] },
{   "ip": "127.0.0.6",   "timestamp": "1700000000", "ports": [ {"port": 53, "proto": "udp", "status": "open", "reason": "none", "ttl": 64} ] },
]
"""  # noqa: E501 — masscan's own layout, trailing comma included
MASSCAN_LIST = (
    "#masscan\nopen tcp 22 127.0.0.5 1700000000\nopen tcp 80 127.0.0.5 1700000000\n# end\n"
)
NAABU = (
    '{"host":"127.0.0.7","ip":"127.0.0.7","port":8080,"protocol":"tcp"}\n'
    '{"ip":"127.0.0.7","port":22}\n'
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MASSCAN_JSON, [("127.0.0.5", 80, "tcp"), ("127.0.0.6", 53, "udp")]),
        (MASSCAN_LIST, [("127.0.0.5", 22, "tcp"), ("127.0.0.5", 80, "tcp")]),
        (NAABU, [("127.0.0.7", 8080, "tcp"), ("127.0.0.7", 22, "tcp")]),
    ],
)
def test_other_tools_formats(tmp_path, text: str, expected) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "in"
    f.write_text(text)
    assert read_endpoints(str(f)) == expected


@pytest.mark.parametrize("text", ["hello\n", '{"ip": "x", "port": 1}\n', "[{bad json\n"])
def test_unreadable_input_names_the_file(tmp_path, text: str) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "in"
    f.write_text(text)
    with pytest.raises(ImportFileError, match=str(f)):
        read_endpoints(str(f))


def test_scan_from_real_nmap_output(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with ScriptedServers([Script(banner=b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")]) as s:
        port = s.ports[0]
        xml, grep = tmp_path / "n.xml", tmp_path / "n.gnmap"
        subprocess.run(
            ["nmap", "-sT", "-Pn", "-n", "-p", f"{port},1", "127.0.0.1",
             "-oX", str(xml), "-oG", str(grep)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        assert read_endpoints(str(xml)) == [("127.0.0.1", port, "tcp")]
        assert read_endpoints(str(grep)) == [("127.0.0.1", port, "tcp")]
        p = subprocess.run(
            [sys.executable, "-m", "fastprobe.cli", "scan", "--from", str(grep), "-oJ", "-"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    (record,) = [json.loads(line) for line in p.stdout.splitlines()]
    assert (record["port"], record["service"], record["product"]) == (port, "ssh", "OpenSSH")
