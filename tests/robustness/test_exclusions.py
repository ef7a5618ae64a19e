"""Exclusions hold after names are looked up, whatever spelling a target or an
exclusion uses: listening sockets on the excluded addresses must see no connection,
while a listener that is not excluded, in the same scan, does (so the test can fail)."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from nornir_fastprobe.plugins.tasks import service_scan
from tests.support.ansible_run import adhoc
from tests.support.cli import run_cli, simple_nornir


class Listener:
    """A listening socket whose accept queue tells whether anyone connected."""

    def __init__(self, address: str, port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.sock = socket.socket(family)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, port))
        self.sock.listen(128)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def connections(self) -> int:
        n = 0
        while True:
            try:
                conn, _peer = self.sock.accept()
            except BlockingIOError:
                return n
            conn.close()
            n += 1


@contextlib.contextmanager
def listeners(excluded: str, control: str) -> Iterator[tuple[Listener, Listener]]:
    """One listener on the excluded address and one on the control address, same port."""
    bad = Listener(excluded)
    good = Listener(control, bad.port)
    try:
        yield bad, good
    finally:
        bad.sock.close()
        good.sock.close()


# (targets, exclusions, the excluded listener's address, the control's)
CASES = [
    (["0x7f.0.88.40", "127.0.88.41"], ["127.0.88.40"], "127.0.88.40", "127.0.88.41"),
    (["localhost", "127.0.88.41"], ["127.0.0.1"], "127.0.0.1", "127.0.88.41"),
    (["vm", "127.0.88.41"], ["localhost"], "127.0.0.1", "127.0.88.41"),
    (["127.0.0.1", "127.0.88.41"], ["localhost"], "127.0.0.1", "127.0.88.41"),
    (["127.0.88.32/28"], ["127.0.88.40"], "127.0.88.40", "127.0.88.41"),
    (["127.0.88.38-42"], ["127.0.88.36/30,127.0.88.40-40"], "127.0.88.40", "127.0.88.41"),
    (["127.0.88.40-41"], ["127.0.88.*"], "127.0.88.40", "127.0.0.1"),
    (["0::1", "127.0.88.41"], ["::1"], "::1", "127.0.88.41"),
    (["[::1]", "127.0.88.41"], ["::/127"], "::1", "127.0.88.41"),
]


@pytest.mark.parametrize(("targets", "exclude", "excluded", "control"), CASES)
def test_cli_never_touches_an_excluded_address(
    targets: list[str], exclude: list[str], excluded: str, control: str
) -> None:
    if control not in targets and control == "127.0.0.1":
        targets = [*targets, control]
    with listeners(excluded, control) as (bad, good):
        args = [a for x in exclude for a in ("--exclude", x)]
        p = run_cli("scan", *targets, "-p", str(bad.port), *args, "-oJ", "-")
        touched, reached = bad.connections(), good.connections()
    assert p.returncode == 0, p.stderr
    assert touched == 0
    assert reached >= 1  # the same scan did connect to what was not excluded
    addresses = {json.loads(line)["address"] for line in p.stdout.splitlines()}
    assert addresses == {control}


def test_exclusions_from_a_file_and_names_in_it(tmp_path: Path) -> None:
    listed = tmp_path / "exclude.txt"
    listed.write_text("# never these\nlocalhost\n127.0.88.40 # and this\n")
    with listeners("127.0.0.1", "127.0.88.41") as (bad, good):
        other = Listener("127.0.88.40", bad.port)
        try:
            p = run_cli(
                "scan", "vm", "127.0.88.40-41", "-p", str(bad.port),
                "--exclude-file", str(listed), "-oJ", "-",
            )  # fmt: skip
            touched = bad.connections() + other.connections()
        finally:
            other.sock.close()
        reached = good.connections()
    assert p.returncode == 0, p.stderr
    assert touched == 0 and reached >= 1


@pytest.mark.nmap
def test_engine_nmap_honours_the_same_exclusions() -> None:
    """The control address has no listener (closed: nmap's walk costs nothing there),
    and ``--all-states`` shows it was scanned."""
    nmap = shutil.which("nmap") or "nmap"
    bad = Listener("127.0.88.40")
    alias = Listener("127.0.0.1", bad.port)
    try:
        p = run_cli(
            "scan", "0x7f.0.88.40", "vm", "127.0.88.41", "-p", str(bad.port),
            "--exclude", "127.0.88.40,localhost", "--engine", "nmap", "--nmap-path", nmap,
            "--all-states", "-oJ", "-",
        )  # fmt: skip
        touched = bad.connections() + alias.connections()
    finally:
        bad.sock.close()
        alias.sock.close()
    assert p.returncode == 0, p.stderr
    assert touched == 0
    records = [json.loads(line) for line in p.stdout.splitlines()]
    assert [(r["address"], r["state"]) for r in records] == [("127.0.88.41", "closed")]


def test_module_never_touches_an_excluded_address(tmp_path: Path) -> None:
    with listeners("127.0.88.40", "127.0.88.41") as (bad, good):
        args = {"targets": ["0x7f.0.88.40", "vm", "127.0.88.41"], "ports": str(bad.port),
                "exclude": ["127.0.88.40", "localhost"]}  # fmt: skip
        status, result = adhoc(tmp_path, "fastprobe.scanner.service_scan", args)
        touched, reached = bad.connections(), good.connections()
    assert status == "SUCCESS", result
    assert touched == 0 and reached >= 1


def test_nornir_never_touches_an_excluded_address(tmp_path: Path) -> None:
    (tmp_path / "hosts.yaml").write_text(
        "sneaky:\n  hostname: 0x7f.0.88.40\nalias:\n  hostname: vm\n"
        "fine:\n  hostname: 127.0.88.41\n"
    )
    nr = simple_nornir(tmp_path / "hosts.yaml", workers=3)
    with listeners("127.0.88.40", "127.0.88.41") as (bad, good):
        alias = Listener("127.0.0.1", bad.port)
        try:
            results = nr.run(
                task=service_scan, ports=str(bad.port), exclude=["127.0.88.40", "localhost"]
            )
            touched = bad.connections() + alias.connections()
        finally:
            alias.sock.close()
        reached = good.connections()
    assert touched == 0 and reached >= 1
    assert not results.failed, {h: r[0].result for h, r in results.items()}
    assert results["sneaky"][0].result == [] and results["alias"][0].result == []
    assert results["sneaky"][0].excluded == ["0x7f.0.88.40: 127.0.88.40 is excluded"]
    assert results["alias"][0].excluded == ["vm: 127.0.0.1 is excluded"]
    assert [r["address"] for r in results["fine"][0].result] == ["127.0.88.41"]
