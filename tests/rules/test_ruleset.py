"""Overlays on nmap's file: order, extension, Exclude modes, fallback chains."""

from __future__ import annotations

import pytest

from fastprobe.rules.matcher import Matcher
from fastprobe.rules.model import ProbeFileError
from fastprobe.rules.parser import parse_text
from fastprobe.rules.ruleset import RuleSet, load_rules

BASE = """Exclude T:9100-9107
Probe TCP NULL q||
match ssh m|^SSH-| p/base ssh/
Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|
ports 80
rarity 1
match http m|^HTTP/1\\.[01] | p/base http/
Probe UDP DNS q|\\0|
match dns m|^\\0|
Probe TCP Help q|HELP\\r\\n|
fallback GetRequest
match help m|^HELP|
"""
OVERLAY = """Exclude T:1
Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|
ports 9100
match node-exporter m|^HTTP/1\\.[01] 200 .*Node Exporter|s p/overlay/
Probe TCP Mine q|hi|
match mine m|^MINE|
"""


def rules(*overlays: str, exclude: str = "keep") -> RuleSet:
    files = [parse_text(o, f"o{n}") for n, o in enumerate(overlays)]
    return RuleSet(files, exclude=exclude, base=parse_text(BASE, "base"))


def test_overlay_rules_come_first_and_extend_the_probe() -> None:
    rs = rules(OVERLAY)
    get = rs.get("GetRequest")
    assert get is not None
    assert [r.service for r in get.rules] == ["node-exporter", "http"]
    assert 80 in get.ports and 9100 in get.ports and get.rarity == 1
    assert [p.name for p in rs.probes] == ["NULL", "GetRequest", "DNS", "Help", "Mine"]
    reply = b"HTTP/1.1 200 OK\r\n\r\nNode Exporter"
    v = Matcher(rs).match("GetRequest", reply).verdict
    assert v and (v.service, v.product, v.rule) == ("node-exporter", "overlay", "o0:4")


def test_overlays_in_the_order_given() -> None:
    second = OVERLAY.replace("p/overlay/", "p/second/").replace("Exclude T:1\n", "")
    rs = rules(OVERLAY, second)
    assert [r.file for r in rs.get("GetRequest").rules] == ["o0", "o1", "base"]  # type: ignore[union-attr]


def test_overlay_must_repeat_the_probe_string() -> None:
    with pytest.raises(ProbeFileError, match="different probe string"):
        rules("Probe TCP GetRequest q|GET /x HTTP/1.0\\r\\n\\r\\n|\nmatch x m/x/\n")


@pytest.mark.parametrize(
    ("mode", "port9100", "port1"),
    [("keep", True, True), ("replace", False, True), ("drop", False, False)],
)
def test_exclude_modes(mode: str, port9100: bool, port1: bool) -> None:
    rs = rules(OVERLAY, exclude=mode)
    assert rs.excluded(9100) is port9100
    assert rs.excluded(1) is port1
    assert not rs.excluded(9100, "UDP")


def test_fallback_chains() -> None:
    rs = rules()
    chain = lambda name, proto="TCP": [p.name for p in rs.chain(rs.get(name, proto))]  # noqa: E731
    assert chain("NULL") == ["NULL"]
    assert chain("Help") == ["Help", "GetRequest", "NULL"]
    assert chain("DNS", "UDP") == ["DNS"]  # UDP replies do not fall back to NULL
    m = Matcher(rs)
    assert m.match("Help", b"HTTP/1.0 400 x").verdict.service == "http"  # type: ignore[union-attr]
    assert m.match("Help", b"SSH-2.0-x").verdict.service == "ssh"  # type: ignore[union-attr]
    assert m.match("DNS", b"SSH-2.0-x", "UDP").verdict is None


def test_unknown_fallback_is_an_error() -> None:
    with pytest.raises(ProbeFileError, match="unknown fallback 'Nope'"):
        RuleSet([], base=parse_text("Probe TCP A q|a|\nfallback Nope\n", "f"))


def test_default_rules_need_nmap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fastprobe.rules.ruleset.NMAP_PROBE_PATHS", ())
    monkeypatch.delenv("FASTPROBE_NMAP_PROBES", raising=False)
    with pytest.raises(ProbeFileError, match="nmap's probe file was not found"):
        load_rules("default", [])


def test_cache_returns_the_same_rules(tmp_path, monkeypatch, nmap_probes_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FASTPROBE_CACHE_DIR", str(tmp_path))
    cold = load_rules(nmap_probes_path, [])
    assert list(tmp_path.iterdir())
    warm = load_rules(nmap_probes_path, [])
    key = lambda rs: [(r.location, r.pattern, r.fields, r.cpes) for r in rs.rules()]  # noqa: E731
    assert key(cold) == key(warm)
