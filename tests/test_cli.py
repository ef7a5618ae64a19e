"""The command line as a user runs it: real processes, real exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.support.cli import run_cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args: str, cwd: str = ROOT) -> subprocess.CompletedProcess:
    return run_cli(*args, cwd=cwd)


def test_match_prints_nmaps_verdict_as_json() -> None:
    p = run("match", "--probe", "NULL", "--reply", r"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["service"] == "ssh" and out["product"] == "OpenSSH"
    assert out["version"] == "9.2p1 Debian 2+deb12u3" and out["soft"] is False
    assert out["cpe"] == ["cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"]
    assert out["rule"].endswith("nmap-service-probes:" + out["rule"].rsplit(":", 1)[1])


def test_match_reads_hex_and_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    reply = b"220 (vsFTPd 3.0.3)\r\n"
    p = run("match", "--probe", "NULL", "--reply-hex", reply.hex())
    assert json.loads(p.stdout)["product"] == "vsftpd"
    f = tmp_path / "reply.bin"
    f.write_bytes(reply)
    p = run("match", "--probe", "NULL", "--reply-file", str(f))
    assert json.loads(p.stdout)["version"] == "3.0.3"


def test_no_match_is_service_null() -> None:
    p = run("match", "--probe", "GetRequest", "--reply", r"\x00\x01\x02")
    assert p.returncode == 0 and json.loads(p.stdout) == {"service": None}


def test_own_rules_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "mine.probes"
    f.write_text("Probe TCP NULL q||\nmatch acme m|^ACME (\\d+)| p/Acme/ v/$1/\n")
    p = run(
        "match", "--probe", "NULL", "--reply", "ACME 7", "--no-default-rules", "--rules", str(f)
    )
    out = json.loads(p.stdout)
    assert (out["service"], out["version"], out["rule"]) == ("acme", "7", f"{f}:2")
    p = run(
        "match", "--probe", "NULL", "--reply", "SSH-2.0-x", "--no-default-rules", "--rules", str(f)
    )
    assert json.loads(p.stdout) == {"service": None}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["match", "--probe", "Nope", "--reply", "x"], "--probe: no probe named 'Nope'"),
        (["match", "--probe", "NULL", "--reply", r"\q"], "--reply: unsupported escape"),
        (["match", "--probe", "NULL", "--reply-hex", "zz"], "--reply-hex: not hex"),
        (["match", "--probe", "NULL", "--reply-file", "/nonexistent"], "--reply-file /nonexistent"),
        (
            ["match", "--probe", "NULL", "--reply", "x", "--rules", "/nonexistent"],
            "/nonexistent: no such file",
        ),
        (
            ["match", "--probe", "NULL", "--reply", "x", "--no-default-rules"],
            "needs at least one --rules",
        ),
        (["rules", "lint", "/etc/hostname"], "not a probe file"),
        (["rules", "test", "/nonexistent"], "no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    p = run(*args)
    assert p.returncode in (1, 2), p.stdout
    assert "Traceback" not in p.stderr + p.stdout
    assert message in p.stderr + p.stdout


def test_broken_regex_is_named_by_file_and_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "bad.probes"
    f.write_text("Probe TCP NULL q||\nmatch a m|^ok|\nmatch b m|^(broken|\n")
    p = run("match", "--probe", "NULL", "--reply", "ok", "--no-default-rules", "--rules", str(f))
    assert p.returncode == 2
    assert p.stderr.strip() == (
        f"fastprobe: error: {f}:3: bad pattern at offset 8: missing closing parenthesis"
    )


LINTED = """Probe TCP NULL q||
match dup m|^DUP| p/x/
match dup m|^DUP| p/x/
match shadow m|^DUP| p/y/
match empty m|a*|
match nest m|^X(\\w+\\s?)*$|
match cpe m|^CPE| cpe:/x:Bad Vendor/
softmatch lonely m|^LONELY|
match tmpl m|^T| p/$2/
match broken m|^(|
"""


def test_lint_reports_each_problem(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "lint.probes"
    f.write_text(LINTED)
    p = run("rules", "lint", "--no-default-rules", str(f))
    assert p.returncode == 1
    codes = {
        int(line.split(":")[1]): line.rsplit("[", 1)[1].rstrip("]")
        for line in p.stdout.splitlines()
        if line.startswith(str(f))
    }
    assert codes == {
        3: "duplicate",
        4: "shadowed",
        5: "empty-match",
        6: "backtracking",
        7: "cpe",
        8: "softmatch-dead-end",
        9: "template",
        10: "pattern",
    }
    assert "2 error(s)" in p.stdout


def test_lint_passes_a_clean_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "ok.probes"
    f.write_text(
        "Probe TCP NULL q||\n"
        "match ssh m|^SSH-([\\d.]+)-Acme| p/Acme SSH/ v/$1/ cpe:/a:acme:ssh:$1/\n"
    )
    p = run("rules", "lint", "--strict", str(f))
    assert p.returncode == 0, p.stdout
    assert "0 error(s), 0 warning(s)" in p.stdout


EXAMPLES = r"""Probe TCP NULL q||
#@example reply="ACME 1.2\r\n" product="Acme" version="1.2" cpe="cpe:/a:acme:acme:1.2" source="test"
#@example reply="ACME 1.3\r\n" product="Acme" version="9.9" cpe="cpe:/a:acme:acme:1.3"
match acme m|^ACME ([\d.]+)\r\n| p/Acme/ v/$1/ cpe:/a:acme:acme:$1/
#@example reply-hex="53 53 48 2d 32 2e 30 2d 78 0d 0a" service="ssh"
match acme-ssh m|^SSH-2\.0-x\r\n|
"""


def test_rules_test_runs_examples_and_shows_differences(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "ex.probes"
    f.write_text(EXAMPLES)
    p = run("rules", "test", "-v", str(f))
    assert p.returncode == 1
    lines = p.stdout.splitlines()
    assert lines[0] == f"PASS {f}:2 -> {f}:4"
    assert lines[1] == f"FAIL {f}:3 (rule {f}:4)"
    assert lines[2] == "    version: expected '9.9', got '1.3'"
    # the example expects ssh, but the overlay rule above it names the service acme-ssh
    assert f"FAIL {f}:5 (rule {f}:6)" in lines
    assert "    service: expected 'ssh', got 'acme-ssh'" in lines
    assert lines[-1] == "1 passed, 2 failed"


def test_rules_assemble_writes_a_file_lint_passes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    overlay = tmp_path / "mine.probes"
    overlay.write_text("Probe TCP Mine q|hi\\r\\n|\nmatch mine m|^MINE (\\d+)| p/Mine/ v/$1/\n")
    out = tmp_path / "nmap-service-probes"
    p = run("rules", "assemble", str(overlay), "--totalwaitms", "300", "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert "1 overlay(s); no Exclude" in p.stderr
    text = out.read_text(encoding="latin-1")
    assert "\nExclude" not in text and "match mine m|^MINE" in text
    assert "totalwaitms 6000" not in text and "totalwaitms 300" in text
    lint = run("rules", "lint", "-q", str(out))
    assert lint.returncode == 0, lint.stdout
    assert ": 0 error(s)" in lint.stdout and "duplicate" not in lint.stdout
    kept = run("rules", "assemble", "--no-base", str(overlay), "--exclude-mode", "keep")
    assert kept.returncode == 0 and kept.stdout.count("\nProbe ") == 1


def test_rules_assemble_errors_name_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.probes"
    bad.write_text("Probe TCP Mine q|hi|\nmatch mine m|(|\n")
    p = run("rules", "assemble", str(bad), "-o", str(tmp_path / "out"))
    assert p.returncode == 2 and "bad.probes:2:" in p.stderr
    assert not (tmp_path / "out").exists()
    p = run("rules", "assemble", "--nmap-probes", str(tmp_path / "none"))
    assert p.returncode == 2 and "--nmap-probes " in p.stderr and "none" in p.stderr


SSH_BANNER = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
RECORD_FIELDS = ("address", "port", "protocol", "state", "service", "product", "version",
                 "extrainfo", "ostype", "cpe", "tunnel", "method", "probe", "rule")  # fmt: skip


@pytest.mark.nmap
def test_scan_with_engine_nmap_gives_the_native_records(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.support.scripted import Script, ScriptedServers

    nmap = shutil.which("nmap") or "nmap"
    with ScriptedServers([Script(banner=SSH_BANNER, hold=2), Script(close_at_once=True)]) as s:
        ports = ",".join(map(str, s.ports))
        scan = ("scan", "127.0.0.1", "-p", ports, "-q")
        native = run(*scan, "-oJ", str(tmp_path / "native.jsonl"))
        engine = ("--engine", "nmap", "--nmap-path", nmap)
        theirs = run(
            *scan, *engine, "-oJ", str(tmp_path / "nmap.jsonl"), "-oX", str(tmp_path / "nmap.xml")
        )
    assert native.returncode == 0 and theirs.returncode == 0, native.stderr + theirs.stderr

    def records(name: str) -> list[tuple]:
        lines = (tmp_path / name).read_text().splitlines()
        return sorted(tuple(str(json.loads(x).get(k)) for k in RECORD_FIELDS) for x in lines)

    assert records("nmap.jsonl") == records("native.jsonl")
    assert len(records("nmap.jsonl")) == 2
    assert theirs.stdout == native.stdout  # the same table
    assert "ssh                OpenSSH 9.2p1 Debian 2+deb12u3 (protocol 2.0)" in theirs.stdout
    assert '<nmaprun scanner="nmap"' in (tmp_path / "nmap.xml").read_text()  # nmap's own XML


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "nmap", "--profile", "thorough"], "--profile: only the native engine"),
        (["--engine", "nmap", "--max-conns", "8"], "--max-conns: only the native engine"),
        (["--engine", "nmap", "--resume", "x.jsonl"], "--resume: only the native engine"),
        (["--engine", "nmap", "--nmap-path", "/nonexistent/nmap"], "--nmap-path: /nonexistent"),
        (["--nmap-path", "/usr/bin/nmap"], "--nmap-path: only with engine nmap"),
        (["--engine", "nmap", "-p", "70000"], "-p: bad port range"),
    ],
)
def test_scan_with_engine_nmap_refuses_what_it_cannot_do(args: list[str], message: str) -> None:
    p = (
        run("scan", "127.0.0.1", "-p", "1", *args)
        if "-p" not in args
        else run("scan", "127.0.0.1", *args)
    )
    assert p.returncode == 2, p.stdout + p.stderr
    assert message in p.stderr and "Traceback" not in p.stderr


@pytest.mark.nmap
def test_ctrl_c_with_engine_nmap_stops_nmap_and_keeps_what_it_found(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Stock nmap would wait minutes on the silent port; Ctrl-C after 3 s stops it (the
    CLI stops nmap by its PID) and the ssh port nmap had matched is kept."""
    from tests.support.scripted import Script, ScriptedServers

    out = tmp_path / "scan.jsonl"
    with ScriptedServers([Script(banner=SSH_BANNER, hold=30), Script(hold=30)]) as s:
        ports = ",".join(map(str, s.ports))
        nmap = shutil.which("nmap") or "nmap"
        cmd = [sys.executable, "-m", "fastprobe.cli", "scan", "127.0.0.1", "-p", ports,
               "--engine", "nmap", "--nmap-path", nmap, "-oJ", str(out)]  # fmt: skip
        cli = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while not _children(cli.pid) and time.monotonic() < deadline:
                time.sleep(0.1)  # the probe file is being assembled
            time.sleep(1.5)  # nmap has matched the ssh banner; the silent port holds it
            children = _children(cli.pid)
            cli.send_signal(signal.SIGINT)
            stdout, stderr = cli.communicate(timeout=30)
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.wait(10)
    assert cli.returncode == 130, stderr
    assert len(children) == 1 and not os.path.exists(f"/proc/{children[0]}")  # nmap is gone
    assert "OpenSSH 9.2p1 Debian 2+deb12u3" in stdout, stderr
    assert "interrupted; 1 finished record(s) kept" in stderr
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert (record["service"], record["product"]) == ("ssh", "OpenSSH")
    assert record["error"].startswith("nmap stopped before it finished this host")


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (read from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out
