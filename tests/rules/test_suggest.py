"""`fastprobe rules suggest`: rules drafted from the replies of ports nothing identified.

The end-to-end tests scan scripted loopback servers speaking protocols nmap does not
know, draft rules from the results, check them with `rules lint` and `rules test`,
and scan again with the drafts loaded. The unit tests build results in memory and
use nmap's own probe file; the lab tests read replies of real servers nmap does not
name (tests/data/suggest/lab-unknown.jsonl).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Optional

import pytest

from fastprobe.rules.escapes import escape, unescape
from fastprobe.rules.matcher import Matcher, verdict_from
from fastprobe.rules.parser import parse_text
from fastprobe.rules.ruleset import RuleSet, load_rules
from fastprobe.rules.samples import run_examples
from fastprobe.rules.suggest import (
    Endpoint,
    Origin,
    ResultsError,
    Stats,
    UnknownPort,
    classify,
    escape_literal,
    length_fields,
    read_results,
    render,
    suggest,
    text_candidates,
)
from tests.support.scripted import Script, ScriptedServers
from tests.test_cli import run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def http(server: bytes, title: bytes, date: bytes, extra: bytes = b"") -> bytes:
    body = b"<html><head><title>" + title + b"</title></head><body>ok</body></html>\n"
    return (
        b"HTTP/1.1 200 OK\r\nDate: " + date + b"\r\nServer: " + server + b"\r\n"
        b"Content-Type: text/html\r\n" + extra + b"Content-Length: " + str(len(body)).encode()
        + b"\r\n\r\n" + body
    )  # fmt: skip


FROBNITZ = [
    b"FROBNITZ 3.1.4 ready on node1.example.net\r\n",
    b"FROBNITZ 3.2.0 ready on node2.example.net\r\n",
    b"FROBNITZ 4.0.1-beta ready on gw.example.org\r\n",
]
ZORBLAX = [
    http(b"Zorblax/2.4.1", b"Zorblax Console", b"Mon, 01 Jan 2024 10:00:00 GMT"),
    http(
        b"Zorblax/2.5.0",
        b"Zorblax Console",
        b"Tue, 02 Jan 2024 11:30:15 GMT",
        b'Set-Cookie: sid=8f3a9c0d1e2b; Path=/\r\nETag: "5d1-5edf1bd3"\r\n',
    ),
]
QUUXLY = [
    http(b"Quuxly-httpd/0.9.3 (Unix)", b"Quuxly Admin", b"Wed, 03 Jan 2024 09:00:00 GMT"),
    http(b"Quuxly-httpd/0.9.4 (Unix)", b"Quuxly Admin", b"Wed, 03 Jan 2024 09:00:01 GMT"),
]
# a binary protocol: a big-endian length, then a fixed header, then a session id
BINARY = [
    b"\x00\x00\x00\x0cZQ\x01\x02" + bytes.fromhex("a1b2c3d4e5f60718"),
    b"\x00\x00\x00\x0eZQ\x01\x02" + bytes.fromhex("0f1e2d3c4b5a69788796"),
]
GENERIC = b"OK\r\n"  # no sound rule can name this

EXPECTED = (  # (replies, product, versions) by group
    (FROBNITZ, "FROBNITZ", ["3.1.4", "3.2.0", "4.0.1-beta"]),
    (ZORBLAX, "Zorblax", ["2.4.1", "2.5.0"]),
    (QUUXLY, "Quuxly-httpd", ["0.9.3", "0.9.4"]),
    (BINARY, None, [None, None]),
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The servers (kept up for a second scan), the scan results, the drafted file."""
    scripts = [Script(banner=b) for b in FROBNITZ]
    scripts += [Script(replies=((b"GET ", 0.0, r),)) for r in ZORBLAX + QUUXLY]
    scripts += [Script(replies=((b"", 0.0, r),)) for r in BINARY]
    scripts.append(Script(banner=GENERIC))
    d = tmp_path_factory.mktemp("suggest")
    with ScriptedServers(scripts) as servers:
        ports = ",".join(map(str, servers.ports))
        scan = run("scan", "127.0.0.1", "-p", ports, "-q", "-oJ", str(d / "results.jsonl"))
        assert scan.returncode == 0, scan.stderr
        records = [json.loads(x) for x in (d / "results.jsonl").read_text().splitlines()]
        assert {r["method"] for r in records} == {"unknown"}, records
        out = run("rules", "suggest", str(d / "results.jsonl"), "-o", str(d / "drafts.probes"))
        assert out.returncode == 0, out.stderr
        yield servers.ports, d, out.stderr


def groups(ports: list[int]) -> list[tuple[list[int], Optional[str], list]]:
    """(ports, product, versions) of each group, in EXPECTED's order."""
    out = []
    start = 0
    for replies, product, versions in EXPECTED:
        out.append((ports[start : start + len(replies)], product, versions))
        start += len(replies)
    return out


def test_clusters_group_the_ports_of_one_product(lab) -> None:  # type: ignore[no-untyped-def]
    ports, d, _ = lab
    text = (d / "drafts.probes").read_text()
    comments = [line for line in text.splitlines() if line.startswith("# ") and "from 127." in line]
    for members, _product, _versions in groups(ports):
        # one rule speaks for each product, naming every port of it and no other
        (comment,) = [c for c in comments if f"127.0.0.1:{members[0]}" in c]
        named = {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", comment)}
        assert named == set(members), comment
    assert sum(1 for line in text.splitlines() if line.startswith("match ")) == 4


def test_drafts_name_their_own_replies_and_no_others(lab) -> None:  # type: ignore[no-untyped-def]
    """Every reply of the results, matched with nmap's rules and the drafts, is named
    by its own product's rule or by none; each port is named by some reply."""
    ports, d, _ = lab
    rules = load_rules("default", [str(d / "drafts.probes")])
    matcher = Matcher(rules)
    records = {
        r["port"]: r for r in map(json.loads, (d / "results.jsonl").read_text().splitlines())
    }
    rule_of: dict[int, set[str]] = {}
    for members, _product, _versions in groups(ports):
        for port in members:
            verdicts = [
                matcher.match(probe, unescape(text)).verdict
                for probe, text in records[port]["replies"].items()
            ]
            rules_seen = {v.rule for v in verdicts if v is not None}
            assert len(rules_seen) == 1, (port, rules_seen)  # named, and by one rule only
            rule_of[port] = rules_seen
        assert len({frozenset(rule_of[p]) for p in members}) == 1  # the same rule for the group
    assert len({frozenset(r) for r in rule_of.values()}) == len(EXPECTED)  # one rule a group
    generic = records[ports[-1]]["replies"]
    assert all(matcher.match(p, GENERIC).verdict is None for p in generic)


def test_versions_and_products_come_from_the_replies(lab) -> None:  # type: ignore[no-untyped-def]
    _ports, d, _ = lab
    text = (d / "drafts.probes").read_text()
    assert r"match unknown m|^FROBNITZ ([\w.-]+)| p/FROBNITZ/ v/$1/" in text
    assert r"m|^HTTP/1\.[01] 200 .*\r\nServer: Zorblax/([\d.]+)|s p/Zorblax/ v/$1/" in text
    assert "match http " in text and "p/Quuxly-httpd/ v/$1/" in text
    assert r"m|^\0\0\0.ZQ\x01|s" in text  # the length byte may differ, the header not
    assert 'version="4.0.1-beta"' in text and 'product="Zorblax" version="2.5.0"' in text
    # ready to paste: each probe's own line, so it joins nmap's probe in an overlay
    for probe in ("NULL q||", r"GenericLines q|\r\n\r\n|", r"GetRequest q|GET / HTTP/1.0\r\n\r\n|"):
        assert f"\nProbe TCP {probe}\n" in text


def test_the_drafted_file_passes_lint_and_its_examples(lab) -> None:  # type: ignore[no-untyped-def]
    _ports, d, _ = lab
    lint = run("rules", "lint", str(d / "drafts.probes"))
    assert lint.returncode == 0 and "0 error(s), 0 warning(s)" in lint.stdout, lint.stdout
    test = run("rules", "test", str(d / "drafts.probes"))
    assert test.returncode == 0, test.stdout
    assert test.stdout.strip().endswith("9 passed, 0 failed")  # 3 + 2 + 2 + 2 examples


def test_a_second_scan_with_the_drafts_names_the_ports(lab) -> None:  # type: ignore[no-untyped-def]
    ports, d, _ = lab
    out = d / "again.jsonl"
    p = run("scan", "127.0.0.1", "-p", ",".join(map(str, ports)), "-q", "-oJ", str(out),
            "--rules", str(d / "drafts.probes"))  # fmt: skip
    assert p.returncode == 0, p.stderr
    found = {r["port"]: r for r in map(json.loads, out.read_text().splitlines())}
    for members, product, versions in groups(ports):
        for port, version in zip(members, versions):
            r = found[port]
            assert (r["method"], r["product"], r["version"]) == ("matched", product, version)
    assert found[ports[-1]]["method"] == "unknown"  # the one without a draft


def test_summary_and_the_port_without_a_draft(lab) -> None:  # type: ignore[no-untyped-def]
    ports, d, stderr = lab
    assert stderr.startswith("10 unknown record(s), ")
    assert " 4 draft(s), 1 without draft, " in stderr
    text = (d / "drafts.probes").read_text()
    assert f"# TCP NULL, 1 reply from 127.0.0.1:{ports[-1]}: too short or too generic" in text


# -- in memory ---------------------------------------------------------------------------


def port(n: int, replies: dict[str, bytes], protocol: str = "tcp") -> UnknownPort:
    return UnknownPort(Origin("r.jsonl", Endpoint("127.0.0.1", n, protocol), None), replies)


def check_examples(text: str, nmap_file) -> None:  # type: ignore[no-untyped-def]
    """What `fastprobe rules test FILE` does: every example passes."""
    rules = RuleSet([parse_text(text, "drafts.probes")], base=nmap_file)
    results = run_examples(Matcher(rules), {"drafts.probes"})
    assert results and all(r.passed for r in results), [
        (r.location, r.error, r.differences) for r in results if not r.passed
    ]


def test_one_product_whose_banners_differ_in_a_word_is_one_rule(nmap_matcher, nmap_file) -> None:  # type: ignore[no-untyped-def]
    """Host names without dots are words: the groups differ, the draft for one matches
    all of the other, so they are taken as one product."""
    ports = [
        port(1, {"NULL": b"ZAPPO 1.2 ready at alpha\r\n"}),
        port(2, {"NULL": b"ZAPPO 1.3 ready at beta\r\n"}),
        port(3, {"NULL": b"ZAPPO 2.0 ready at gamma\r\n"}),
    ]
    s = suggest(ports, nmap_matcher)
    (draft,) = s.drafts
    assert draft.line == r"match unknown m|^ZAPPO ([\d.]+) ready| p/ZAPPO/ v/$1/"
    assert {x.origin.endpoint.port for x in draft.samples} == {1, 2, 3}
    assert s.stats.clusters == 3 and s.stats.covered == 2
    check_examples(s.text, nmap_file)


def test_a_reply_to_a_later_probe_joins_the_banner_rule(nmap_matcher, nmap_file) -> None:  # type: ignore[no-untyped-def]
    """Port 2 said nothing on connect, but its GenericLines reply is the same banner:
    the NULL rule (tried for every TCP reply) names it, with probe= in its example."""
    ports = [
        port(1, {"NULL": b"ZAPPO 1.2 ready\r\n", "GenericLines": b"ZAPPO 1.2 ready\r\n"}),
        port(2, {"GenericLines": b"ZAPPO 1.4 ready\r\n"}),
    ]
    s = suggest(ports, nmap_matcher)
    (draft,) = s.drafts
    assert s.stats.clusters == 2  # NULL and GenericLines replies are apart at first
    assert draft.probe.name == "NULL"
    assert any('probe=GenericLines product="ZAPPO" version="1.4"' in e for e in draft.examples)
    check_examples(s.text, nmap_file)


def test_no_draft_when_every_pattern_claims_another_ports_reply(nmap_matcher) -> None:  # type: ignore[no-untyped-def]
    """Port 2 is named by nmap's rules (its NULL banner); its GenericLines reply is port
    1's banner word for word. A NULL rule for port 1 would claim it too."""
    ssh = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
    ports = [
        port(1, {"NULL": b"ZAPPO 1.2 ready\r\n"}),
        port(2, {"NULL": ssh, "GenericLines": b"ZAPPO 1.2 ready\r\n"}),
    ]
    s = suggest(ports, nmap_matcher)
    assert not s.drafts
    (nodraft,) = s.without
    assert "also matches replies of other ports" in nodraft.reason
    assert "GenericLines reply from 127.0.0.1:2" in nodraft.reason
    assert s.stats.claimed == 2  # port 2's replies: nmap names that port


def test_replies_the_rules_name_now_are_skipped(nmap_file) -> None:  # type: ignore[no-untyped-def]
    mine = parse_text("Probe TCP NULL q||\nmatch zappo m|^ZAPPO | p/Zappo/\n", "mine.probes")
    matcher = Matcher(RuleSet([mine], base=nmap_file))
    s = suggest([port(1, {"NULL": b"ZAPPO 1.2 ready\r\n"})], matcher)
    assert not s.drafts and not s.without and s.stats.claimed == 1


def test_too_generic_and_small_groups(nmap_matcher) -> None:  # type: ignore[no-untyped-def]
    s = suggest([port(1, {"NULL": b"OK\r\n"}), port(2, {"NULL": b"\x01\x02"})], nmap_matcher)
    assert not s.drafts
    assert {n.reason for n in s.without} == {"too short or too generic for a specific pattern"}
    s = suggest([port(1, {"NULL": b"ZAPPO 1.2 ready\r\n"})], nmap_matcher, min_cluster=2)
    assert not s.drafts and s.stats.small == 1


def test_binary_replies_with_a_version(nmap_matcher, nmap_file) -> None:  # type: ignore[no-untyped-def]
    """A greeting like MySQL's: 3-byte length, sequence number, protocol byte, name,
    version, NUL; the length differs with the version."""
    greet = [
        b"\x0e\x00\x00\x00\x0bZQL\x005.1.7\x00\x01\x02\x03",
        b"\x0f\x00\x00\x00\x0bZQL\x0012.10.1\x00\x09\x0a",
    ]
    s = suggest([port(1, {"NULL": greet[0]}), port(2, {"NULL": greet[1]})], nmap_matcher)
    (draft,) = s.drafts
    assert draft.line == r"match unknown m|^.\0\0\0\x0bZQL\0([\d.]+)\0|s v/$1/"
    assert 'version="12.10.1"' in "".join(draft.examples)
    check_examples(s.text, nmap_file)


def test_udp_replies_go_under_a_udp_probe(nmap_matcher, nmap_file) -> None:  # type: ignore[no-untyped-def]
    s = suggest([port(5, {"Help": b"ZAPPO 2.1 at your service\r\n"}, "udp")], nmap_matcher)
    assert "\nProbe UDP Help q|help\\r\\n\\r\\n|\n" in s.text
    check_examples(s.text, nmap_file)


def test_a_version_before_a_full_stop(nmap_matcher, nmap_file) -> None:  # type: ignore[no-untyped-def]
    """'[\\d.]+' would take the full stop too: the exact form is used."""
    ports = [
        port(1, {"NULL": b"FOO server version 3.4. Ready\r\n"}),
        port(2, {"NULL": b"FOO server version 3.5.1-rc2. Ready\r\n"}),
    ]
    s = suggest(ports, nmap_matcher)
    (draft,) = s.drafts
    assert draft.line.endswith(r"m|^FOO server version (\d+(?:\.\d+)+(?:[-+~]?\w+)?)| p/FOO/ v/$1/")
    assert 'version="3.4"' in draft.examples[0] and 'version="3.5.1-rc2"' in draft.examples[1]
    check_examples(s.text, nmap_file)


def test_delimiter_metacharacters_and_bytes() -> None:
    assert escape_literal("a.b*c?(d)[e]{f}|g^$\\") == r"a\.b\*c\?\(d\)\[e\]\{f\}\x7cg\^\$\\"
    assert escape_literal("\0\x001\r\n\t\xff\x7f") == r"\0\x001\r\n\t\xff\x7f"
    # the pattern holds '|': another delimiter is chosen, the literal is left alone
    delim, body, opts = render(text_candidates([b"ALPHA|BETA 1.2 on\r\n"])[0].pieces)
    assert (delim, body, opts) == ("/", r"^ALPHA\|BETA ([\d.]+)", "")


def test_a_pipe_in_the_banner_and_quotes_in_the_reply(nmap_matcher, nmap_file) -> None:  # type: ignore[no-untyped-def]
    s = suggest([port(1, {"NULL": b'ZAP|PO "x" 1.2 ready\r\n\x00\xff'})], nmap_matcher)
    (draft,) = s.drafts
    assert draft.line.startswith(r"match unknown m/^ZAP\|PO ")
    assert r'reply="ZAP|PO \x22x\x22 1.2 ready\r\n\0\xff"' in draft.examples[0]
    check_examples(s.text, nmap_file)


def test_normalisation_puts_one_product_together_and_others_apart() -> None:
    a = classify(ZORBLAX[0])
    assert a == classify(ZORBLAX[0].replace(b"2.4.1", b"9.9").replace(b"Mon, 01", b"Fri, 05"))
    assert a != classify(QUUXLY[0]) and a[0] == "http"
    assert classify(FROBNITZ[0]) == classify(FROBNITZ[2]) != classify(b"FROBNOTZ 1.0 ready\r\n")
    assert classify(FROBNITZ[0])[0] == "text"
    longer = BINARY[0][:3] + b"\x0e" + BINARY[0][4:] + b"xx"  # only the length differs
    assert classify(BINARY[0]) == classify(longer) and classify(BINARY[0])[0] == "binary"
    assert classify(b"\x00\x00\x00\x0cZQ\x01\x03abcdefgh") != classify(BINARY[0])
    assert length_fields(BINARY[0]) == {3}  # the length's low byte, not its zero bytes
    assert length_fields(b"\x0e\x00ZQ" + b"x" * 10) == {0}  # little endian, 2 bytes


def test_results_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = {"address": "127.0.0.1", "port": 9, "protocol": "tcp", "method": "unknown",
            "replies": {"NULL": escape(b"ZAPPO\r\n\x00")}}  # fmt: skip
    matched = {**good, "method": "matched", "replies": None}
    f = tmp_path / "r.jsonl"
    f.write_text(json.dumps(good) + "\n\n" + json.dumps(matched) + "\n" + '{"addr')  # cut
    stats = Stats()
    (only,) = read_results(str(f), stats)
    assert only.replies == {"NULL": b"ZAPPO\r\n\x00"}
    assert (stats.records, stats.unknown, stats.cut_lines) == (2, 1, 1)
    f.write_text(json.dumps(good) + "\nnot json\n")
    with pytest.raises(ResultsError, match=r"r\.jsonl:2: not a JSON line"):
        read_results(str(f), Stats(), "r.jsonl")
    f.write_text(json.dumps({**good, "replies": {"NULL": "\\q"}}) + "\n")
    with pytest.raises(ResultsError, match=r":1: replies\['NULL'\]: unsupported escape"):
        read_results(str(f), Stats())


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("not json\n", [], "r.jsonl:1: not a JSON line"),
        ('{"a": 1}\n', [], "r.jsonl:1: not a fastprobe scan record"),
        ("", ["--samples", "0"], "--samples: must be at least 1"),
        (None, [], "r.jsonl: No such file or directory"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, content, args, message) -> None:  # type: ignore[no-untyped-def]
    if content is not None:
        (tmp_path / "r.jsonl").write_text(content)
    p = subprocess.run(
        [sys.executable, "-m", "fastprobe.cli", "rules", "suggest", "r.jsonl", *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    assert p.returncode == 2 and p.stdout == "", p.stdout
    assert p.stderr.startswith(f"fastprobe: error: {message}") and p.stderr.count("\n") == 1


# -- the lab's real unknowns (nmap's rules alone) ---------------------------------------

LAB = os.path.join(ROOT, "tests", "data", "suggest", "lab-unknown.jsonl")
RSS = b"<?xml version='1.0'?><rss version=\"2.0\"><channel><title>News</title></channel></rss>"


@pytest.fixture(scope="module")
def lab_suggestion(nmap_matcher):  # type: ignore[no-untyped-def]
    return suggest(read_results(LAB, Stats()), nmap_matcher)


def lab_draft(s, port: int):  # type: ignore[no-untyped-def]
    (draft,) = [d for d in s.drafts if {x.origin.endpoint.port for x in d.samples} == {port}]
    return draft


def test_lab_random_ids_are_placeholders(lab_suggestion, nmap_matcher) -> None:  # type: ignore[no-untyped-def]
    """NATS names itself by a random base32 id: the draft must match another server."""
    draft = lab_draft(lab_suggestion, 4222)
    assert not re.search(r"[A-Z2-7]{56}", draft.line), draft.line
    assert r'^INFO \{"server_id":"[A-Z0-9]+","server_name":"[A-Z0-9]+","version":"(' in draft.line
    reply = draft.samples[0].data
    another_id = b"ND4KYCZLWFH7GJPO5QXR3UVMTB2SAIE6N7W4OXQ3ZRYJ5BMKDPGLU6VS"
    other = re.sub(rb"N[A-Z2-7]{55}", another_id, reply)
    assert other != reply
    for data in (reply, other):
        found = nmap_matcher.guard.first_match([draft.rule], data).found
        assert found is not None and found.group(1) == b"2.9.10"


def test_lab_xmpp_streams_not_the_xml_declaration(lab_suggestion, nmap_matcher) -> None:  # type: ignore[no-untyped-def]
    """Prosody's client and server streams: `jabber` rules on the stream's namespace, in
    whatever order Prosody writes the attributes; never v// from `<?xml version='1.0'?>`."""
    for d in lab_suggestion.drafts:
        for x in d.samples:
            found = nmap_matcher.guard.first_match([d.rule], x.data).found
            if x.data.startswith(b"<?xml") and found:
                assert not verdict_from(found, d.probe).version, d.line
    client, server = lab_draft(lab_suggestion, 5222), lab_draft(lab_suggestion, 5269)
    assert "xmlns='jabber:client'" in client.line and "xmlns='jabber:server'" in server.line
    for draft, other in ((client, server), (server, client)):
        assert draft.line.startswith("match jabber ") and "v/" not in draft.line
        reply = draft.samples[0].data
        attrs = re.search(rb"<stream:stream ([^>]*)>", reply).group(1).split(b" ")  # type: ignore[union-attr]
        shuffled = reply.replace(b" ".join(attrs), b" ".join(reversed(attrs)))
        assert shuffled != reply
        for data, claimed in ((reply, True), (shuffled, True), (other.samples[0].data, False),
                              (RSS, False)):  # fmt: skip
            found = nmap_matcher.guard.first_match([draft.rule], data).found
            assert (found is not None) is claimed, (draft.line, data)


def test_lab_an_own_http_reason_phrase_is_a_draft(lab_suggestion) -> None:  # type: ignore[no-untyped-def]
    """Privoxy has neither Server header nor title, but its own reason phrase."""
    draft = lab_draft(lab_suggestion, 8118)
    assert draft.line == r"match http m|^HTTP/1\.[01] 400 Invalid header received from client\r\n|"


def test_standard_reason_phrases_say_nothing(nmap_matcher) -> None:  # type: ignore[no-untyped-def]
    replies = [b"HTTP/1.1 200 Ok\r\n\r\n", b"HTTP/1.0 302 Moved Temporarily\r\n\r\n",
               b"HTTP/1.1 413 Request Entity Too Large\r\n\r\n"]  # fmt: skip
    s = suggest([port(n, {"GetRequest": r}) for n, r in enumerate(replies)], nmap_matcher)
    assert not s.drafts and len(s.without) == 3


def test_lab_drafts_pass_lint_and_their_examples(tmp_path, nmap_probes_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "lab.probes"
    p = run("rules", "suggest", LAB, "--no-default-rules", "--rules", nmap_probes_path,
            "-o", str(out))  # fmt: skip
    assert p.returncode == 0 and " 8 draft(s), 0 without draft, " in p.stderr, p.stderr
    lint = run("rules", "lint", str(out))
    assert lint.returncode == 0 and "0 error(s), 0 warning(s)" in lint.stdout, lint.stdout
    test = run("rules", "test", str(out))
    assert test.returncode == 0 and test.stdout.strip().endswith("8 passed, 0 failed"), test.stdout
