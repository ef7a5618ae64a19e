"""fastprobe.scanner.services inventory: real results files, real config files, run through
ansible's plugin loader, InventoryManager and ansible-inventory."""

from __future__ import annotations

import json
import os

import pytest
import yaml
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader
from ansible_collections.fastprobe.scanner.plugins.inventory.services import (
    record_groups,
    slug,
)
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe.facts import document
from ansible_collections.fastprobe.scanner.tests.unit.plugins.fastprobe_helpers import (
    DB1,
    WEB1,
    plain_json,
    record,
    run_ansible,
    write_results,
)

PLUGIN = "fastprobe.scanner.services"


@pytest.fixture
def results(tmp_path):
    """A results directory with web1 and db1."""
    path = tmp_path / "results"
    write_results(str(path), "web1", WEB1)
    write_results(str(path), "db1", DB1)
    return path


def write_config(directory, name="scan.fastprobe.yml", **options):
    options.setdefault("results_dir", "results")
    path = directory / name
    path.write_text(yaml.safe_dump({"plugin": PLUGIN, **options}), encoding="utf-8")
    return str(path)


def parse(config, cache=True):
    """Run the plugin, found by name as ansible finds it, on a config file; errors raise."""
    plugin = inventory_loader.get(PLUGIN)
    assert plugin is not None, "the collection's inventory plugin is not found"
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), config, cache=cache)
    # as InventoryManager does after each source, and once all are parsed
    if getattr(plugin, "_cache", None):
        plugin.update_cache_if_changed()
    inventory.reconcile_inventory()
    return inventory


def members(inventory, group):
    assert group in inventory.groups, f"no group {group}: {sorted(inventory.groups)}"
    return sorted(h.name for h in inventory.groups[group].get_hosts())


def hostvar(inventory, host, name):
    return inventory.get_host(host).get_vars()[name]


# --- group names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("OpenSSH", "openssh"),
        ("nginx", "nginx"),
        ("Apache httpd", "apache_httpd"),
        ("Microsoft IIS httpd", "microsoft_iis_httpd"),
        ("http-proxy", "http_proxy"),
        ("  --weird//name--  ", "weird_name"),
        ("Ünïcode", "n_code"),
    ],
)
def test_slug_is_a_valid_group_name_part(text, expected):
    assert slug(text) == expected


def test_record_groups_cover_service_product_port_and_tunnel():
    assert record_groups(record(443, "http", product="nginx", tunnel="ssl")) == [
        "service_http",
        "product_nginx",
        "port_tcp_443",
        "tunnel_ssl",
    ]
    assert record_groups(record(9999, None)) == ["service_unknown", "port_tcp_9999"]
    assert record_groups(record(53, "domain", protocol="udp")) == [
        "service_domain",
        "port_udp_53",
    ]


# --- verify_file ---------------------------------------------------------------------


def test_verify_file_accepts_only_fastprobe_config_names(tmp_path):
    plugin = inventory_loader.get(PLUGIN)
    for name in ("a.fastprobe.yml", "a.fastprobe.yaml", "a.yml", "fastprobe.yml"):
        (tmp_path / name).write_text("plugin: " + PLUGIN + "\n", encoding="utf-8")
    assert plugin.verify_file(str(tmp_path / "a.fastprobe.yml"))
    assert plugin.verify_file(str(tmp_path / "a.fastprobe.yaml"))
    assert not plugin.verify_file(str(tmp_path / "a.yml"))
    assert not plugin.verify_file(str(tmp_path / "fastprobe.yml"))
    assert not plugin.verify_file(str(tmp_path / "missing.fastprobe.yml"))


# --- hosts, groups and host variables ------------------------------------------------


def test_hosts_and_groups_from_open_services(tmp_path, results):
    inventory = parse(write_config(tmp_path))

    assert sorted(inventory.hosts) == ["db1", "web1"]
    assert members(inventory, "service_ssh") == ["db1", "web1"]
    assert members(inventory, "product_openssh") == ["db1", "web1"]
    assert members(inventory, "port_tcp_22") == ["db1", "web1"]
    assert members(inventory, "service_http") == ["web1"]
    assert members(inventory, "product_nginx") == ["web1"]
    assert members(inventory, "tunnel_ssl") == ["web1"]
    assert members(inventory, "service_http_proxy") == ["web1"]
    assert members(inventory, "product_apache_httpd") == ["web1"]
    assert members(inventory, "port_tcp_8080") == ["web1"]
    assert members(inventory, "service_unknown") == ["web1"]
    assert members(inventory, "port_tcp_9999") == ["web1"]
    assert members(inventory, "service_postgresql") == ["db1"]
    assert members(inventory, "product_postgresql_db") == ["db1"]
    # open|filtered and closed do not count by default
    assert "port_udp_53" not in inventory.groups
    assert "service_domain" not in inventory.groups
    assert "port_tcp_25" not in inventory.groups
    # every plugin group hangs under all
    assert "service_ssh" in [g.name for g in inventory.groups["all"].child_groups]


def test_host_variable_holds_every_record_of_the_file(tmp_path, results):
    inventory = parse(write_config(tmp_path))

    assert hostvar(inventory, "web1", "fastprobe_services") == document("web1", WEB1)["services"]
    assert hostvar(inventory, "db1", "fastprobe_services") == document("db1", DB1)["services"]
    states = {r["state"] for r in hostvar(inventory, "web1", "fastprobe_services")}
    assert states == {"open", "open|filtered", "closed"}


def test_states_choose_which_records_make_groups(tmp_path, results):
    inventory = parse(write_config(tmp_path, states=["open|filtered"]))

    assert members(inventory, "port_udp_53") == ["web1"]
    assert members(inventory, "service_domain") == ["web1"]
    assert "service_ssh" not in inventory.groups


def test_unknown_state_is_refused(tmp_path, results):
    with pytest.raises(AnsibleError, match="opened"):
        parse(write_config(tmp_path, states=["opened"]))


def test_group_prefix_applies_to_the_plugin_groups(tmp_path, results):
    inventory = parse(write_config(tmp_path, group_prefix="fp_"))

    assert members(inventory, "fp_service_ssh") == ["db1", "web1"]
    assert members(inventory, "fp_port_tcp_443") == ["web1"]
    assert members(inventory, "fp_tunnel_ssl") == ["web1"]
    assert not [g for g in inventory.groups if g.startswith(("service_", "port_", "product_"))]


def test_relative_results_dir_is_taken_from_the_config_directory(tmp_path, results, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    inventories = tmp_path / "inventories"
    inventories.mkdir()

    inventory = parse(write_config(inventories, results_dir="../results"))

    assert sorted(inventory.hosts) == ["db1", "web1"]


def test_results_dir_expands_environment_variables(tmp_path, results, monkeypatch):
    monkeypatch.setenv("FASTPROBE_TEST_RESULTS", str(results))
    other = tmp_path / "other"
    other.mkdir()

    inventory = parse(write_config(other, results_dir="$FASTPROBE_TEST_RESULTS"))

    assert sorted(inventory.hosts) == ["db1", "web1"]


def test_empty_results_dir_gives_no_hosts(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "notes.txt").write_text("not a results file", encoding="utf-8")

    inventory = parse(write_config(tmp_path))

    assert not inventory.hosts


def test_add_hosts_false_only_decorates_hosts_of_earlier_sources(tmp_path, results):
    write_results(str(results), "stranger", [record(23, "telnet")])
    static = tmp_path / "10-hosts.yml"
    static.write_text(
        yaml.safe_dump({"all": {"hosts": {"web1": None, "mail1": None}}}), encoding="utf-8"
    )
    config = write_config(tmp_path, name="20-scan.fastprobe.yml", add_hosts=False)

    manager = InventoryManager(loader=DataLoader(), sources=[str(static), config])

    assert sorted(h.name for h in manager.get_hosts()) == ["mail1", "web1"]
    assert [h.name for h in manager.get_hosts("service_ssh")] == ["web1"]
    assert "service_telnet" not in manager.groups
    web1 = manager.get_host("web1").get_vars()
    assert web1["fastprobe_services"] == document("web1", WEB1)["services"]
    assert "fastprobe_services" not in manager.get_host("mail1").get_vars()


# --- constructed options -------------------------------------------------------------


def test_compose_groups_and_keyed_groups(tmp_path, results):
    config = write_config(
        tmp_path,
        compose={
            "open_ports": "fastprobe_services | selectattr('state', 'eq', 'open')"
            " | map(attribute='port') | list",
            "ansible_host": "fastprobe_services[0].address",
        },
        groups={
            "has_tls": "'ssl' in (fastprobe_services | map(attribute='tunnel'))",
            "many_ports": "open_ports | length > 2",
        },
        keyed_groups=[
            {
                "key": "fastprobe_services | map(attribute='ostype') | select | unique | list",
                "prefix": "os",
            },
            {
                "key": "fastprobe_services | map(attribute='cpe') | flatten | list",
                "prefix": "cpe",
                "parent_group": "cpes",
            },
        ],
    )

    inventory = parse(config)

    assert hostvar(inventory, "web1", "open_ports") == [22, 443, 8080, 9999]
    assert hostvar(inventory, "db1", "open_ports") == [22, 5432]
    assert hostvar(inventory, "db1", "ansible_host") == "192.0.2.20"
    assert members(inventory, "has_tls") == ["web1"]
    assert members(inventory, "many_ports") == ["web1"]
    assert members(inventory, "os_Linux") == ["db1", "web1"]
    assert members(inventory, "cpe_cpe__a_openbsd_openssh_9_2p1") == ["web1"]
    assert members(inventory, "cpe_cpe__a_openbsd_openssh_8_4p1") == ["db1"]
    cpe_groups = {g.name for g in inventory.groups["cpes"].child_groups}
    assert "cpe_cpe__o_linux_linux_kernel" in cpe_groups


def test_strict_reports_a_broken_expression(tmp_path, results):
    broken = {"nope": "fastprobe_services | no_such_filter"}
    assert "nope" not in parse(write_config(tmp_path, compose=broken)).get_host("web1").vars

    with pytest.raises(AnsibleError, match="nope"):
        parse(write_config(tmp_path, compose=broken, strict=True))


# --- cache ---------------------------------------------------------------------------


def test_cache_round_trip(tmp_path, results):
    cache_dir = tmp_path / "cache"
    config = write_config(
        tmp_path,
        cache=True,
        cache_plugin="ansible.builtin.jsonfile",
        cache_connection=str(cache_dir),
        cache_timeout=3600,
    )

    first = parse(config)
    assert sorted(first.hosts) == ["db1", "web1"]
    assert os.listdir(cache_dir), "nothing written to the cache"

    # the results change: a cached read still shows the old ones...
    write_results(str(results), "new1", [record(3306, "mysql", product="MySQL")])
    cached = parse(config, cache=True)
    assert sorted(cached.hosts) == ["db1", "web1"]
    assert members(cached, "service_ssh") == ["db1", "web1"]
    assert hostvar(cached, "web1", "fastprobe_services") == document("web1", WEB1)["services"]

    # ...a refresh (ansible-inventory --flush-cache) reads the files and updates the cache
    fresh = parse(config, cache=False)
    assert sorted(fresh.hosts) == ["db1", "new1", "web1"]
    assert members(fresh, "product_mysql") == ["new1"]
    assert sorted(parse(config, cache=True).hosts) == ["db1", "new1", "web1"]


def test_without_cache_the_files_are_read_every_time(tmp_path, results):
    config = write_config(tmp_path)
    parse(config)
    write_results(str(results), "new1", [record(3306, "mysql")])
    assert "new1" in parse(config).hosts


# --- errors --------------------------------------------------------------------------


def test_missing_results_dir_names_the_config_and_the_directory(tmp_path):
    config = write_config(tmp_path, results_dir="nowhere")
    with pytest.raises(AnsibleParserError) as err:
        parse(config)
    assert config in str(err.value)
    assert str(tmp_path / "nowhere") in str(err.value)


def test_results_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "results").write_text("{}", encoding="utf-8")
    with pytest.raises(AnsibleParserError, match="not a directory"):
        parse(write_config(tmp_path))


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({"format": 1, "services": []}),  # no host
        json.dumps({"format": 1, "host": "bad1", "services": {"22": {}}}),
        json.dumps({"format": 99, "host": "bad1", "services": []}),
        json.dumps({"format": 1, "host": "bad1", "services": ["22/tcp ssh"]}),
        json.dumps(["bad1"]),
    ],
    ids=["json", "no-host", "services-not-list", "newer-format", "record-not-dict", "list"],
)
def test_bad_results_file_is_named(tmp_path, results, content):
    bad = results / "bad1.json"
    bad.write_text(content, encoding="utf-8")
    config = write_config(tmp_path)
    with pytest.raises(AnsibleParserError) as err:
        parse(config)
    assert str(bad) in str(err.value)
    assert config in str(err.value)


def test_config_without_results_dir_is_refused(tmp_path):
    path = tmp_path / "scan.fastprobe.yml"
    path.write_text(f"plugin: {PLUGIN}\n", encoding="utf-8")
    with pytest.raises(AnsibleError, match="results_dir"):
        parse(str(path))


# --- as a user runs it ---------------------------------------------------------------


def test_ansible_inventory_lists_groups_and_host_variables(tmp_path, results):
    config = write_config(tmp_path, keyed_groups=[{"key": "'scanned'", "prefix": "fastprobe"}])

    proc = run_ansible("inventory", ["-i", config, "--list"], tmp_path)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    listing = plain_json(json.loads(proc.stdout))
    assert sorted(listing["service_ssh"]["hosts"]) == ["db1", "web1"]
    assert listing["tunnel_ssl"]["hosts"] == ["web1"]
    assert listing["port_tcp_9999"]["hosts"] == ["web1"]
    assert sorted(listing["fastprobe_scanned"]["hosts"]) == ["db1", "web1"]
    hostvars = listing["_meta"]["hostvars"]
    assert hostvars["web1"]["fastprobe_services"] == document("web1", WEB1)["services"]


def test_ansible_inventory_fails_on_a_bad_results_file(tmp_path, results):
    (results / "bad1.json").write_text("{not json", encoding="utf-8")

    proc = run_ansible("inventory", ["-i", write_config(tmp_path), "--list"], tmp_path)

    assert proc.returncode != 0
    assert str(results / "bad1.json") in proc.stdout + proc.stderr


def test_remote_banners_are_never_templated(tmp_path, results):
    config = write_config(tmp_path)
    proc = run_ansible(
        "adhoc",
        ["db1", "-i", config, "-m", "ansible.builtin.debug", "-a", "var=fastprobe_services"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "{{ 7 * 6 }}" in proc.stdout
    assert '"extrainfo": "42"' not in proc.stdout
