"""fastprobe.scanner service filters: direct calls, and real ansible runs in which
ansible-core's tagged values reach them."""

from __future__ import annotations

import json

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.fastprobe.scanner.plugins.filter import services as filters
from ansible_collections.fastprobe.scanner.plugins.filter.services import (
    FilterModule,
    hosts_with_cpe,
    hosts_with_product,
    hosts_with_service,
    open_services,
    plain,
    services_query,
)
from ansible_collections.fastprobe.scanner.tests.unit.plugins.fastprobe_helpers import (
    DB1,
    WEB1,
    adhoc_result,
    record,
    run_ansible,
    write_results,
)

try:  # ansible-core >= 2.19: data tagging
    from ansible.template import trust_as_template
except ImportError:
    trust_as_template = None

HOSTVARS = {
    "web1": {"fastprobe_services": WEB1, "ansible_host": "192.0.2.10"},
    "db1": {"fastprobe_services": DB1},
    # a host whose only SSH is not open
    "gone1": {"fastprobe_services": [record(22, "ssh", product="OpenSSH", state="filtered")]},
    "unscanned1": {"ansible_host": "192.0.2.99"},
}


def test_filter_module_offers_every_filter():
    assert sorted(FilterModule().filters()) == [
        "hosts_with_cpe",
        "hosts_with_product",
        "hosts_with_service",
        "open_services",
        "services_query",
    ]


# --- open_services -------------------------------------------------------------------


def test_open_services_keeps_open_records_in_protocol_port_order():
    shuffled = list(reversed(WEB1))
    assert [(r["protocol"], r["port"]) for r in open_services(shuffled)] == [
        ("tcp", 22),
        ("tcp", 443),
        ("tcp", 8080),
        ("tcp", 9999),
    ]


def test_open_services_of_one_service_ignores_case():
    assert [r["port"] for r in open_services(WEB1, "HTTP")] == [443]
    assert open_services(WEB1, "domain") == []  # open|filtered is not open
    assert open_services([], "ssh") == []


@pytest.mark.parametrize(
    ("records", "service"),
    [({"port": 22}, None), ("ssh", None), (["22/tcp"], None), (WEB1, 22), (WEB1, "")],
)
def test_open_services_refuses_wrong_input(records, service):
    with pytest.raises(AnsibleFilterError, match=r"^open_services: "):
        open_services(records, service)


# --- hosts_with_* --------------------------------------------------------------------


def test_hosts_with_service_open_only_sorted_and_case_insensitive():
    assert hosts_with_service(HOSTVARS, "ssh") == ["db1", "web1"]
    assert hosts_with_service(HOSTVARS, "SSH") == ["db1", "web1"]
    assert hosts_with_service(HOSTVARS, "http-proxy") == ["web1"]
    assert hosts_with_service(HOSTVARS, "domain") == []
    assert hosts_with_service(HOSTVARS, "telnet") == []


def test_hosts_limit_the_search():
    assert hosts_with_service(HOSTVARS, "ssh", ["web1", "gone1", "unscanned1"]) == ["web1"]
    assert hosts_with_service(HOSTVARS, "ssh", []) == []
    # a host the list names but hostvars lacks is not an error
    assert hosts_with_service(HOSTVARS, "ssh", ["db1", "elsewhere1"]) == ["db1"]


def test_hosts_with_product_equal_or_prefix_without_regard_to_case():
    assert hosts_with_product(HOSTVARS, "OpenSSH") == ["db1", "web1"]
    assert hosts_with_product(HOSTVARS, "openssh") == ["db1", "web1"]
    assert hosts_with_product(HOSTVARS, "apache") == ["web1"]
    assert hosts_with_product(HOSTVARS, "Apache httpd") == ["web1"]
    assert hosts_with_product(HOSTVARS, "postgres", ["db1", "web1"]) == ["db1"]
    assert hosts_with_product(HOSTVARS, "httpd") == []  # a prefix, not a substring


def test_hosts_with_cpe_prefix():
    assert hosts_with_cpe(HOSTVARS, "cpe:/a:openbsd:openssh") == ["db1", "web1"]
    assert hosts_with_cpe(HOSTVARS, "cpe:/a:openbsd:openssh:8.") == ["db1"]
    assert hosts_with_cpe(HOSTVARS, "cpe:/o:linux", ["web1"]) == ["web1"]
    assert hosts_with_cpe(HOSTVARS, "cpe:/a:nginx") == []


@pytest.mark.parametrize(
    ("hostvars", "arg", "hosts"),
    [
        (["web1"], "ssh", None),
        (HOSTVARS, "", None),
        (HOSTVARS, 22, None),
        (HOSTVARS, "ssh", "web1"),
        (HOSTVARS, "ssh", [1, 2]),
        ({"web1": {"fastprobe_services": "ssh"}}, "ssh", None),
    ],
    ids=["hostvars-list", "empty-name", "int-name", "hosts-str", "hosts-ints", "bad-records"],
)
@pytest.mark.parametrize("func", [hosts_with_service, hosts_with_product, hosts_with_cpe])
def test_hosts_filters_refuse_wrong_input_naming_the_filter(func, hostvars, arg, hosts):
    with pytest.raises(AnsibleFilterError, match=f"^{func.__name__}: "):
        func(hostvars, arg, hosts)


# --- services_query ------------------------------------------------------------------


def test_services_query_over_records():
    assert services_query(WEB1, "[?state=='open' && protocol=='tcp'].port") == [
        22,
        443,
        8080,
        9999,
    ]
    assert services_query(WEB1, "[?tunnel=='ssl'].{port: port, product: product}") == [
        {"port": 443, "product": "nginx"}
    ]
    assert services_query(WEB1, "[?starts_with(service || '', 'http')].port") == [443, 8080]


def test_services_query_over_hostvars():
    query = "*.fastprobe_services[] | [?contains(cpe, 'cpe:/o:linux:linux_kernel')].address"
    assert sorted(set(services_query(HOSTVARS, query))) == ["192.0.2.10", "192.0.2.20"]


def test_services_query_refuses_bad_expressions():
    with pytest.raises(AnsibleFilterError, match=r"^services_query: "):
        services_query(WEB1, "[?state==")
    with pytest.raises(AnsibleFilterError, match=r"^services_query: the expression"):
        services_query(WEB1, 42)
    with pytest.raises(AnsibleFilterError, match=r"^services_query: "):
        services_query(WEB1, "[?starts_with(port, 'x')]")  # a jmespath type error


def test_services_query_without_jmespath(monkeypatch):
    monkeypatch.setattr(filters, "jmespath", None)
    with pytest.raises(AnsibleFilterError) as err:
        services_query(WEB1, "[].port")
    assert str(err.value) == "services_query needs the jmespath library: pip install jmespath"


@pytest.mark.skipif(trust_as_template is None, reason="ansible-core before 2.19 has no tags")
def test_plain_strips_ansible_tagged_types():
    tagged = trust_as_template("ssh")
    assert tagged.__class__ is not str  # a tagged subclass, as 2.19 hands filters
    data = {trust_as_template("services"): [{"service": tagged, "cpe": (tagged,)}]}

    copy = plain(data)

    assert copy == {"services": [{"service": "ssh", "cpe": ["ssh"]}]}
    key = next(iter(copy))
    assert key.__class__ is str
    assert copy[key][0]["service"].__class__ is str
    assert services_query(data, "services[?starts_with(service, 'ss')].type(service)") == ["string"]


def test_plain_keeps_json_types():
    data = {"a": [1, 2.5, True, None, "x"], "b": {"c": ("d",)}, "s": {3, 1}}
    assert plain(data) == {"a": [1, 2.5, True, None, "x"], "b": {"c": ["d"]}, "s": [1, 3]}


# --- in real ansible runs (2.19: tagged and lazy values) -----------------------------


def test_filters_in_a_real_ansible_run_on_variables_from_a_file(tmp_path):
    (tmp_path / "vars.yml").write_text(
        yaml.safe_dump({"records": WEB1, "wanted": "http"}), encoding="utf-8"
    )
    expression = {
        "types": "records | fastprobe.scanner.services_query("
        '\'[?starts_with(service || `""`, `"ht"`)]'
        '.{port: port, t: type(service), tls: tunnel == `"ssl"`}\')',
        "kernel": "records | fastprobe.scanner.services_query("
        "'[?contains(cpe, `\"cpe:/o:linux:linux_kernel\"`)].product')",
        "open_http": "records | fastprobe.scanner.open_services(wanted) | map(attribute='port')",
    }
    msg = "{{ {" + ", ".join(f"'{k}': ({v})" for k, v in expression.items()) + "} }}"

    proc = run_ansible(
        "adhoc",
        [
            *("localhost", "-i", "localhost,", "-c", "local", "-e", "@vars.yml"),
            *("-m", "ansible.builtin.debug", "-a", json.dumps({"msg": msg})),
        ],
        tmp_path,
    )

    assert adhoc_result(proc, "localhost")["msg"] == {
        "types": [
            {"port": 443, "t": "string", "tls": True},
            {"port": 8080, "t": "string", "tls": False},
        ],
        "kernel": ["OpenSSH"],
        "open_http": [443],
    }


def test_hosts_filters_on_the_hostvars_of_the_inventory_plugin(tmp_path):
    write_results(str(tmp_path / "results"), "web1", WEB1)
    write_results(str(tmp_path / "results"), "db1", DB1)
    (tmp_path / "scan.fastprobe.yml").write_text(
        "plugin: fastprobe.scanner.services\nresults_dir: results\n", encoding="utf-8"
    )
    expression = {
        "ssh": "hostvars | fastprobe.scanner.hosts_with_service('SSH')",
        "ssh_web": "hostvars | fastprobe.scanner.hosts_with_service('ssh', groups['tunnel_ssl'])",
        "apache": "hostvars | fastprobe.scanner.hosts_with_product('apache', groups['all'])",
        "old_ssh": "hostvars | fastprobe.scanner.hosts_with_cpe('cpe:/a:openbsd:openssh:8.')",
        "versions": "hostvars | fastprobe.scanner.services_query("
        "'*.fastprobe_services[] | [?product == `\"OpenSSH\"`].version') | sort",
    }
    msg = "{{ {" + ", ".join(f"'{k}': ({v})" for k, v in expression.items()) + "} }}"

    debug = ["-m", "ansible.builtin.debug", "-a", json.dumps({"msg": msg})]
    proc = run_ansible("adhoc", ["web1", "-i", "scan.fastprobe.yml", *debug], tmp_path)

    assert adhoc_result(proc, "web1")["msg"] == {
        "ssh": ["db1", "web1"],
        "ssh_web": ["web1"],
        "apache": ["web1"],
        "old_ssh": ["db1"],
        "versions": ["8.4p1 Debian 5+deb11u3", "9.2p1 Debian 2+deb12u3"],
    }
