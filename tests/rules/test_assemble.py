"""One file for nmap from nmap's own and the overlays: nmap's rule order, our merge."""

from __future__ import annotations

import pytest

from fastprobe.rules.assemble import Source, assemble, exclude_line
from fastprobe.rules.matcher import Matcher
from fastprobe.rules.model import ProbeFileError
from fastprobe.rules.parser import parse_text
from fastprobe.rules.ruleset import RuleSet

OVERLAY = """Exclude T:1-3
Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|
ports 9100
#@example reply="HTTP/1.0 200 OK\\r\\n\\r\\nNode Exporter" service=overlay-http
match overlay-http m|^HTTP/1\\.[01] 200 .*Node Exporter|s p/overlay/
Probe TCP Mine q|hi\\r\\n|
rarity 3
totalwaitms 900
match mine m|^MINE (\\d+)| p/Mine/ v/$1/
"""


@pytest.fixture(scope="module")
def base(nmap_probes_path: str) -> Source:
    with open(nmap_probes_path, encoding="latin-1") as fh:
        return Source(nmap_probes_path, fh.read())


def test_assembled_file_is_what_the_engine_uses(base: Source) -> None:
    """Parsed back, the file gives the probes, directives and rule order of the merged
    rule set, and a reply gets the same verdict from both."""
    out = assemble(base, [Source("ovl.probes", OVERLAY)], exclude="keep")
    merged = RuleSet(
        [parse_text(OVERLAY, "ovl.probes")], exclude="keep", base=parse_text(base.text, base.name)
    )
    back = RuleSet([], base=parse_text(out.text, "assembled"))
    assert [p.key for p in back.probes] == [p.key for p in merged.probes]
    for mine, theirs in zip(back.probes, merged.probes):
        assert (mine.ports, mine.sslports, mine.rarity, mine.fallbacks, mine.totalwaitms) == (
            theirs.ports,
            theirs.sslports,
            theirs.rarity,
            theirs.fallbacks,
            theirs.totalwaitms,
        )
        assert [(r.service, r.pattern) for r in mine.rules] == [
            (r.service, r.pattern) for r in theirs.rules
        ]
    get = back.get("GetRequest")
    assert get.rules[0].service == "overlay-http" and 9100 in get.ports and 80 in get.ports
    assert back.probes[-1].name == "Mine" and back.probes[-1].totalwaitms == 900
    assert out.rules == len(back.rules()) and out.probes == len(back.probes)
    reply = b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\r\n"
    a = Matcher(back).match(get, reply).verdict
    b = Matcher(merged).match(merged.get("GetRequest"), reply).verdict
    assert (
        (a.service, a.product, a.version)
        == (b.service, b.product, b.version)
        == (
            "http",
            "nginx",
            "1.22.1",
        )
    )


def test_every_copied_line_names_where_it_came_from(base: Source) -> None:
    out = assemble(base, [Source("ovl.probes", OVERLAY)])
    lines = out.text.split("\n")
    sources = {"ovl.probes": OVERLAY.split("\n"), base.name: base.text.split("\n")}
    copied = 0
    for number, origin in out.origins.items():
        file, line = origin.rsplit(":", 1)
        assert lines[number - 1] == sources[file][int(line) - 1]
        copied += 1
    # every rule and probe line, and the overlay's example, is accounted for
    assert copied == out.rules + out.probes + 1
    assert "#@example" in lines[next(n for n, o in out.origins.items() if o == "ovl.probes:4") - 1]


def test_exclude_is_dropped_unless_asked_for(base: Source) -> None:
    dropped = assemble(base, [Source("ovl.probes", OVERLAY)])
    assert dropped.excluded == "" and "\nExclude" not in dropped.text
    kept = assemble(base, [Source("ovl.probes", OVERLAY)], exclude="keep")
    assert kept.excluded == "Exclude T:1-3,9100-9107"
    assert RuleSet([], base=parse_text(kept.text, "k"), exclude="keep").excluded(9101)
    replaced = assemble(base, [Source("ovl.probes", OVERLAY)], exclude="replace")
    assert replaced.excluded == "Exclude T:1-3"


def test_waits_replace_every_probes_own(base: Source) -> None:
    out = assemble(base, [], totalwaitms=300, tcpwrappedms=200)
    back = parse_text(out.text, "w")
    assert {p.totalwaitms for p in back.probes} == {300}
    assert back.probe("NULL").tcpwrappedms == 200
    with pytest.raises(ValueError, match="totalwaitms must be 100 to 300000"):
        assemble(base, [], totalwaitms=50)


def test_exclude_line_unions_tcp_and_udp() -> None:
    a = parse_text("Exclude T:9100-9107,U:53\nProbe TCP NULL q||\n", "a").exclude
    b = parse_text("Exclude 1,T:9108\nProbe TCP NULL q||\n", "b").exclude
    assert exclude_line([a, b]) == "Exclude T:1,9100-9108,U:1,53"
    assert exclude_line([]) == ""


def test_bad_overlay_names_its_file_and_line(base: Source) -> None:
    bad = "Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|\nmatch x m|(| p/x/\n"
    with pytest.raises(ProbeFileError) as err:
        assemble(base, [Source("bad.probes", bad)])
    assert str(err.value).startswith("bad.probes:2:")
    changed = "Probe TCP GetRequest q|GET /|\nmatch x m|^x|\n"
    with pytest.raises(ProbeFileError, match=r"changed\.probes:1: probe TCP GetRequest"):
        assemble(base, [Source("changed.probes", changed)])
