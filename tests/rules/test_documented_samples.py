"""rules/documented.probes against the replies built from documentation
(tests/samples/documented.py): the pack's verdict, and stock nmap 7.93's beside it."""

from __future__ import annotations

import os
from typing import NamedTuple, Optional

import pytest

from fastprobe.rules.lint import lint_files
from fastprobe.rules.matcher import Matcher, Verdict
from fastprobe.rules.ruleset import RuleSet, load_probe_file
from tests.samples.documented import DOCUMENTED
from tests.samples.model import Built

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACK = os.path.join(ROOT, "rules", "documented.probes")


class Stock(NamedTuple):
    """What stock nmap 7.93 says of a reply (Debian's nmap-service-probes alone)."""

    service: str
    product: Optional[str]
    cpe: tuple[str, ...]
    soft: bool


# nmap 7.93's verdict for each sample; None: no rule matches, the port stays unknown.
STOCK_NMAP: dict[str, Optional[Stock]] = {
    # softmatch only: nmap goes on through probes that a modern IPC server never answers
    # with anything its hard rules expect
    "hadoop-ipc-http-get": Stock("hadoop-ipc", "Hadoop IPC", ("cpe:/a:apache:hadoop",), True),
    "hadoop-ipc-version-mismatch-tls": None,
    "cassandra-4-genericlines": None,
    "cassandra-4-getrequest": None,
    "cassandra-4.0-rc1-genericlines": None,
    "cassandra-3.10-httpoptions": None,
    "cassandra-3.0-httpoptions": None,
    "clickhouse-native-exception": None,
    "clickhouse-native-netexception": None,
    "clickhouse-native-http-get": None,
    "clickhouse-native-http-get-old": Stock(
        "clickhouse", "ClickHouse DBMS", ("cpe:/a:yandex:clickhouse",), True
    ),
    "clickhouse-native-http-get-no-http-port": None,
    "clickhouse-http-404": None,
    "grafana-8-login-redirect": None,
    "grafana-11-login-redirect": None,
    "grafana-11-404-login-redirect": None,
    "grafana-10-anonymous-index": None,
    "grafana-8-anonymous-404-index": None,
    "grafana-anonymous-index-version-hidden": None,
    "kubernetes-dashboard-index": None,
    "kubernetes-apiserver-anonymous-forbidden": None,
    "kubernetes-apiserver-unauthorized": None,
}

FIELDS = ("service", "product", "version", "extrainfo", "hostname", "ostype", "devicetype")


@pytest.fixture(scope="module")
def pack_matcher(nmap_file) -> Matcher:  # type: ignore[no-untyped-def]
    """nmap's file and this one overlay: the other packs cannot hide a failure here."""
    return Matcher(RuleSet([load_probe_file(PACK)], base=nmap_file))


def _fields(verdict: Verdict) -> dict[str, object]:
    got: dict[str, object] = {name: getattr(verdict, name) for name in FIELDS}
    got["cpe"] = verdict.cpe
    return got


def _stock(verdict: Optional[Verdict]) -> Optional[Stock]:
    if verdict is None:
        return None
    return Stock(verdict.service, verdict.product, verdict.cpe, verdict.soft)


def test_every_sample_is_built_named_once_and_has_nmaps_verdict() -> None:
    names = [b.name for b in DOCUMENTED]
    assert len(names) == len(set(names))
    assert set(names) == set(STOCK_NMAP)
    for built in DOCUMENTED:
        assert built.source.startswith("built from the protocol documentation: "), built.name
        assert built.reply, built.name


@pytest.mark.parametrize("built", DOCUMENTED, ids=lambda b: b.name)
def test_the_pack_gives_the_expected_verdict(built: Built, pack_matcher: Matcher) -> None:
    result = pack_matcher.match(built.probe, built.reply, built.protocol)
    assert not result.aborted
    verdict = result.verdict
    assert verdict is not None, f"{built.name}: no rule matches"
    assert os.path.samefile(verdict.rule.rsplit(":", 1)[0], PACK), verdict.rule
    assert not verdict.soft and not verdict.warnings
    expected = {name: getattr(built.expect, name) for name in FIELDS}
    expected["cpe"] = built.expect.cpe
    assert _fields(verdict) == expected


@pytest.mark.parametrize("built", DOCUMENTED, ids=lambda b: b.name)
def test_stock_nmap_says_what_is_recorded_and_less(
    built: Built, nmap_matcher: Matcher, pack_matcher: Matcher
) -> None:
    stock = _stock(nmap_matcher.match(built.probe, built.reply, built.protocol).verdict)
    assert stock == STOCK_NMAP[built.name]
    ours = pack_matcher.match(built.probe, built.reply, built.protocol).verdict
    assert ours is not None
    # the pack's rule is there because nmap fails, only softmatches, or names less
    assert stock is None or stock.soft or stock != _stock(ours)


def test_the_pack_lints_clean(nmap_rules: RuleSet) -> None:
    issues = lint_files([PACK], nmap_rules)
    assert [(i.line, i.severity, i.code, i.message) for i in issues] == []
