"""What an operator mistypes, through the real command line: each is a one-line error
naming the option or the target, within seconds, before anything is sent."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.cli import run_cli

BOUND = 30  # seconds: every case here ends in well under a second or two


def cli(*args: str) -> subprocess.CompletedProcess:
    return run_cli(*args, timeout=BOUND)


def one_line_error(p: subprocess.CompletedProcess, status: int = 2) -> str:
    assert p.returncode == status, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastprobe: error: "), p.stderr
    return lines[0][len("fastprobe: error: ") :]


@pytest.mark.parametrize(
    ("target", "named"),
    [
        ("300.1.1.1", "'300.1.1.1': not an IPv4 address"),
        ("", "empty target"),
        ("a" * 64 + ".example", "labels of 1-63"),
        ("x" * 254, "253 characters at most"),
        ("bad name!", "'bad name!': holds white space"),
        ("exa mple", "holds white space"),
        ("127.0.88.30 127.0.88.40", "'127.0.88.30 127.0.88.40': holds white space"),
        ("10.0.0.0/33", "'10.0.0.0/33': bad network"),
        ("127.0.88.1-300", "bad octet range '1-300'"),
        ("127.0.88.9-1", "bad octet range '9-1'"),
        ("1.2.3", "'1.2.3': not an IPv4 address"),
        ("::g", "'::g': not an IPv6 address"),
        ("[::1", "'[::1': not an IPv6 address"),
        ("[10.0.0.1]", "not an IPv6 address in brackets"),
        ("\ufffd.example", "not a valid host name"),
        ("a" * 60 + "\u00fc" + "a" * 10, "not a valid host name"),
    ],
)
def test_bad_targets_fail_at_once_naming_the_item(target: str, named: str) -> None:
    start = time.monotonic()
    p = cli("scan", "127.0.0.1", target, "-p", "1")
    took = time.monotonic() - start
    message = one_line_error(p)
    assert message.startswith("TARGET: ") and named in message
    assert took < BOUND


def test_unicode_and_bracketed_names_that_can_be_read_are_scanned() -> None:
    """An IDNA name is looked up (and here not found: a warning, exit 1 as nothing could
    be scanned); ``[::1]`` is the IPv6 loopback."""
    p = cli("scan", "b\u00fccher.invalid", "-p", "1")
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "warning: not scanned: b\u00fccher.invalid" in p.stderr
    assert "error: TARGET: nothing could be scanned" in p.stderr
    with socket.socket(socket.AF_INET6) as server:
        server.bind(("::1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        p = cli("scan", "[::1]", "-p", str(port), "-oJ", "-")
    assert p.returncode == 0, p.stderr
    (record,) = [json.loads(line) for line in p.stdout.splitlines()]
    assert (record["address"], record["port"], record["state"]) == ("::1", port, "open")


def test_unresolvable_name_beside_a_good_target_is_a_warning(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        p = cli("scan", "nosuch.invalid", "127.0.0.1", "-p", str(port), "-oJ", str(tmp_path / "o"))
    assert p.returncode == 0, p.stderr
    assert "fastprobe: warning: not scanned: nosuch.invalid: " in p.stderr
    records = [json.loads(line) for line in (tmp_path / "o").read_text().splitlines()]
    assert {r["state"] for r in records} == {"unresolved", "open"}


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["-p", ""], "-p: empty"),
        (["-p", "  "], "-p: empty"),
        (["-p", "22,,80"], "-p: "),
        (["-p", "70000"], "-p: "),
        (["--top-ports", "0"], "--top-ports: must be between 1 and 65535, not 0"),
        (["--top-ports", "-5"], "--top-ports: must be between 1 and 65535, not -5"),
        (["-p", "22", "--top-ports", "10"], "--top-ports: give ports or top_ports, not both"),
        (["--regex-timeout", "nan"], "--regex-timeout: must be a finite number"),
        (["--regex-timeout", "inf"], "--regex-timeout: must be a finite number"),
        (["--regex-timeout", "0"], "--regex-timeout: must be a finite number"),
        (["--rate", "nan"], "--rate: must be a finite number"),
        (["--rate", "-1"], "--rate: must be a finite number"),
        (["--wait-max", "inf"], "--wait-max: must be a finite number"),
        (["--connect-timeout", "1e9"], "--connect-timeout: must be a finite number"),
        (["--wait-min", "3", "--wait-max", "1"], "--wait-min: must not be above wait_max"),
        (["--max-conns", "0"], "--max-conns: must be between 1"),
        (["--max-host-conns", "-1"], "--max-host-conns: must be between 1"),
        (["--version-intensity", "10"], "--version-intensity: must be between 0 and 9"),
        (["--max-addresses", "0"], "--max-addresses: must be at least 1"),
        (["--exclude", "10.0.0.0/33"], "--exclude: bad exclusion: '10.0.0.0/33': bad network"),
        (["--exclude", "nosuch.invalid"], "--exclude: 'nosuch.invalid': cannot be resolved"),
        (["-iL", "/nonexistent/targets"], "-iL: -iL /nonexistent/targets: No such file"),
        (["-iL", "/"], "-iL: -iL /: Is a directory"),
        (["--exclude-file", "/nonexistent"], "--exclude-file: --exclude-file /nonexistent: No"),
        (["--resume", "/"], "--resume: /: Is a directory"),
        (["-oX", "/nonexistent/dir/out.xml"], "-oX: /nonexistent/dir/out.xml: no such directory"),
        (["-oX", "/"], "-oX: /: Is a directory"),
        (["--from", "/nonexistent"], "--from: "),
        (["--rules", "/nonexistent.probes"], "--rules: /nonexistent.probes"),
    ],
)
def test_bad_options_fail_naming_the_option(args: list[str], named: str) -> None:
    base = ["scan", "127.0.0.1"] + ([] if "-p" in args or "--top-ports" in args else ["-p", "1"])
    message = one_line_error(cli(*base, *args))
    assert message.startswith(named), message


def test_bad_target_files_name_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("127.0.0.1  # fine\n127.0.0.2\n127.0.0.300\n")
    assert one_line_error(cli("scan", "-iL", str(good), "-p", "1")) == (
        f"-iL: -iL {good}:3: '127.0.0.300': not an IPv4 address (four numbers 0-255)"
    )
    binary = tmp_path / "binary"
    binary.write_bytes(b"127.0.0.1\n\x00\xff\xfe\x01")
    assert "not a text file" in one_line_error(cli("scan", "-iL", str(binary), "-p", "1"))


def test_a_typo_in_a_prefix_is_refused_unless_the_limit_is_raised() -> None:
    message = one_line_error(cli("scan", "10.0.0.0/8", "-p", "80"))
    assert message == (
        "--max-addresses: the targets stand for 16,777,216 addresses, more than 65,536: "
        "check for a mistyped prefix or range, or raise this limit"
    )
    # raised, it is only a dry run here: counted and listed, nothing sent
    p = cli("scan", "10.0.0.0/8", "-p", "80", "--max-addresses", "20000000", "--dry-run")
    assert p.returncode == 0, p.stderr
    assert "16,777,216 address(es) x 1 port(s) = 16,777,216 to probe" in p.stdout
    assert "first addresses: 10.0.0.0 10.0.0.1" in p.stdout


def test_dry_run_sends_nothing(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.88.50", 0))
        server.listen(8)
        server.setblocking(False)
        port = server.getsockname()[1]
        p = cli("scan", "127.0.88.48-55", "localhost", "-p", f"{port},22", "--dry-run",
                "--exclude", "127.0.88.49,localhost")  # fmt: skip
        with pytest.raises(BlockingIOError):
            server.accept()
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[:3] == [
        "dry run: would scan 9 address(es) x 2 port(s) = 18 to probe, excluding "
        "127.0.88.49/32, 127.0.0.1 (engine native)",
        f"ports: T:22,{port}",
        "first addresses: 127.0.88.48 127.0.88.50 127.0.88.51 127.0.88.52 127.0.88.53 "
        "127.0.88.54 127.0.88.55 ...",
    ]
    assert "not scanned: localhost is excluded" in p.stdout


def test_a_bad_xml_path_is_found_before_the_scan() -> None:
    with socket.socket() as server:
        server.bind(("127.0.88.51", 0))
        server.listen(8)
        server.setblocking(False)
        port = server.getsockname()[1]
        p = cli("scan", "127.0.88.51", "-p", str(port), "-oX", "/nonexistent/x.xml")
        with pytest.raises(BlockingIOError):
            server.accept()  # nothing was sent
    assert one_line_error(p).startswith("-oX: ")


def test_a_scan_of_nothing_open_says_so() -> None:
    p = cli("scan", "127.0.88.52", "-p", "1,2,3")
    assert p.returncode == 0 and p.stdout == ""
    assert p.stderr.splitlines()[-1].startswith(
        "fastprobe: 0 open port(s) on 0 address(es): 0 identified, 0 unknown;"
    )
