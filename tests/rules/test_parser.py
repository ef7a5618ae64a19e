"""Parsing: the installed nmap file whole, and every malformed line named by file:line."""

from __future__ import annotations

import re

import pytest

from fastprobe.rules.model import ProbeFileError
from fastprobe.rules.parser import parse_file, parse_text

HEAD = "Probe TCP NULL q||\n"


def test_the_installed_nmap_file_loads_whole(nmap_probes_path: str) -> None:
    pf = parse_file(nmap_probes_path)
    with open(nmap_probes_path, encoding="latin-1") as fh:
        text = fh.read()
    rules = pf.rules()
    assert len(pf.probes) == len(re.findall(r"^Probe ", text, re.M))
    assert sum(not r.soft for r in rules) == len(re.findall(r"^match ", text, re.M))
    assert sum(r.soft for r in rules) == len(re.findall(r"^softmatch ", text, re.M))
    assert len(pf.probes) >= 148 and len(rules) >= 11917  # Debian 12's nmap 7.93
    assert [i for i in pf.issues if i.severity == "error"] == []
    assert pf.exclude is not None and 9100 in pf.exclude.tcp


def test_every_pattern_of_the_installed_file_compiles(nmap_file) -> None:  # type: ignore[no-untyped-def]
    for rule in nmap_file.rules():
        assert rule.regex is not None, rule.location


def test_probe_directives() -> None:
    pf = parse_text(
        "Exclude T:9100-9107,U:53,1-2\n" + HEAD + "Probe UDP DNS q|\\0\\x01\\r\\n| no-payload\n"
        "ports 53, 5353-5354\nsslports 853\nrarity 3\nfallback GetRequest, NULL\n"
        "totalwaitms 6000\ntcpwrappedms 3000\n",
        "t",
    )
    dns = pf.probe("DNS", "UDP")
    assert dns is not None
    assert dns.payload == b"\x00\x01\r\n" and dns.no_payload
    assert 5354 in dns.ports and 5355 not in dns.ports and 853 in dns.sslports
    assert (dns.rarity, dns.fallbacks, dns.totalwaitms, dns.tcpwrappedms) == (
        3,
        ("GetRequest", "NULL"),
        6000,
        3000,
    )
    assert pf.exclude and 9107 in pf.exclude.tcp and 53 in pf.exclude.udp and 2 in pf.exclude.udp


def test_match_line_parts() -> None:
    pf = parse_text(
        HEAD
        + "match ssh m=^SSH-([\\d.]+)=is p|OpenSSH| v/$1/ i/x/ i/y/ cpe:/a:openbsd:openssh:$1/a"
        " cpe:|o:linux:linux_kernel|\n",
        "t",
    )
    rule = pf.rules()[0]
    assert (rule.service, rule.pattern, rule.opts) == ("ssh", "^SSH-([\\d.]+)", "is")
    assert rule.fields == {"p": "OpenSSH", "v": "$1", "i": "y"}  # a repeated field replaces
    assert rule.cpes == ("cpe:/a:openbsd:openssh:$1", "cpe:/o:linux:linux_kernel")
    assert [i.code for i in pf.issues] == ["nmap-compat"]  # cpe:|...| is 7.93-only syntax


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("match x m/a/\n", 1, "before any Probe"),
        ("Hello world\n", 1, "not a probe file"),
        (HEAD + "Probe SCTP X q||\n", 2, "invalid protocol"),
        (HEAD + "Probe TCP -x q||\n", 2, "bad probe name"),
        (HEAD + "Probe TCP X |a|\n", 2, "must begin with 'q'"),
        (HEAD + "Probe TCP X q|abc\n", 2, "no ending delimiter"),
        (HEAD + "Probe TCP X q|\\q|\n", 2, "bad probe string"),
        (HEAD + "Probe TCP NULL q||\n", 2, "already defined on line 1"),
        (HEAD + "ports 80-\n", 2, "bad port list"),
        (HEAD + "ports 70000\n", 2, "between 0 and 65535"),
        (HEAD + "rarity 0\n", 2, "rarity"),
        (HEAD + "totalwaitms 50\n", 2, "totalwaitms"),
        (HEAD + "Exclude 1\n", 2, "must precede"),
        (HEAD + "bogus 1\n", 2, "unknown directive"),
        (HEAD + "match ssh\n", 2, "service name"),
        (HEAD + "match ssh x/a/\n", 2, "must begin with 'm'"),
        (HEAD + "match ssh m/a(/\n", 2, "bad pattern at offset"),
        (HEAD + "match ssh m/a/x\n", 2, "illegal regexp option"),
        (HEAD + "match ssh m/a\n", 2, "missing end delimiter"),
        (HEAD + "match ssh m/a/ q/b/\n", 2, "unknown template"),
        (HEAD + "match ssh m/a/ p\n", 2, "bare word"),
        (HEAD + "   \n", 2, "white space"),
        ("Exclude 1\nExclude 2\n", 2, "only one Exclude"),
        (HEAD + '#@example reply="x" reply\n', 2, "bad example"),
        (HEAD + "ports 65536\n", 2, "between 0 and 65535"),
        (HEAD + "sslports 1-" + "9" * 5000 + "\n", 2, "between 0 and 65535"),
        (HEAD + "rarity 99999999999999999999\n", 2, "is not between 1 and 9"),
        (HEAD + "tcpwrappedms 300001\n", 2, "must be 100 to 300000"),
        (HEAD + "match ssh m/(?<=a|bc)x/\n", 2, "bad pattern: Python's re cannot compile it"),
        (HEAD + "match ssh m/a{1,65536}/\n", 2, "number too big in a repeat count"),
        (HEAD + "match ssh m/(a)/ p/$P(99999999999999999999)/\n", 2, "is too big (a C long"),
    ],
)
def test_errors_name_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ProbeFileError) as exc:
        parse_text(text, "rules/x.probes")
    assert exc.value.line == line
    assert str(exc.value).startswith(f"rules/x.probes:{line}: ")
    assert message in str(exc.value)


def test_lenient_mode_skips_and_reports_each_bad_line() -> None:
    pf = parse_text(HEAD + "match a m/(/\nmatch b m/b/\nmatch c m/c/ z/1/\n", "t", lenient=True)
    assert [r.service for r in pf.rules()] == ["b"]
    assert [(i.line, i.severity) for i in pf.issues] == [(2, "error"), (4, "error")]


def test_examples_attach_to_the_next_rule() -> None:
    pf = parse_text(
        HEAD + '#@example reply="a\\r\\n" product="A"\n# other comment\nmatch a m/^a/ p/A/\n'
        '#@example reply="z"\n',
        "t",
    )
    (rule,) = pf.rules()
    assert [e.attrs for e in rule.examples] == [{"reply": "a\\r\\n", "product": "A"}]
    assert [i.message for i in pf.issues] == ["example not followed by a rule"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/nonexistent/probes", "no such file"),
        ("/", "is a directory"),
        ("/proc/self/mem", "cannot read"),
        ("/bin/sh", "binary data"),
    ],
)
def test_unusable_files(path: str, message: str) -> None:
    with pytest.raises(ProbeFileError, match=message):
        parse_file(path)


def test_a_line_longer_than_nmap_7_93_reads_is_reported() -> None:
    """nmap 7.93 reads 2047 bytes a line with the newline: 2046 characters pass."""
    head = "Probe TCP NULL q||\n"
    fits = "#" + "x" * 2045
    too_long = '#@example reply="' + "a" * 2030 + '"'
    pf = parse_text(head + fits + "\n" + too_long + "\nmatch a m|^a|\n", "long.probes")
    assert [(i.line, i.code) for i in pf.issues] == [(3, "nmap-compat")]
    assert "at most 2046 characters; this one (2048)" in pf.issues[0].message
