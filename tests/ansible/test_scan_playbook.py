"""playbooks/scan.yml with the real ansible-playbook: two scan hosts (local-connection
aliases) share a lab of real servers; every target host gets exactly its own services
as facts, the result files are written, the inventory plugin groups hosts from them,
a second run changes nothing, and expectations and --diff report real differences."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support.ansible_run import (
    BIN,
    ROOT,
    ansible_env,
    collections_path,
    lab_inventory,
    recap,
    run_playbook,
    write_inventory,
)
from tests.support.labs import running_lab

pytestmark = pytest.mark.lab

SERVERS = ["openssh", "nginx", "redis", "postfix", "vsftpd", "mariadb", "memcached", "slapd"]
PLAYBOOK = ROOT / "playbooks" / "scan.yml"


@pytest.fixture(scope="module")
def lab():  # type: ignore[no-untyped-def]
    yield from running_lab(SERVERS)


@pytest.fixture(scope="module")
def setup(lab, tmp_path_factory):  # type: ignore[no-untyped-def]
    work = tmp_path_factory.mktemp("ansible")
    hosts = {s.name: s.host for s in lab.servers.values()}
    inventory = lab_inventory(hosts, ["scan1", "scan2"], group="lab")
    # an inventory host that no scan covers: it must get no facts
    inventory["all"]["hosts"] = {"bystander": {"ansible_host": "127.0.0.250"}}
    ports = sorted({s.port for s in lab.services if s.protocol == "tcp"})
    extra = {
        "fastprobe_targets": ["lab"],
        "fastprobe_ports": ",".join(map(str, ports)),
        "fastprobe_results_dir": str(work / "results"),
    }
    env = {
        "ANSIBLE_CACHE_PLUGIN": "ansible.builtin.jsonfile",
        "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(work / "facts"),
    }
    return {
        "work": work,
        "hosts": hosts,
        "lab": lab,
        "inventory": write_inventory(work / "inventory.json", inventory),
        "collections": collections_path(work),
        "extra": extra,
        "env": env,
    }


def play(setup, *args: str, **extra):  # type: ignore[no-untyped-def]
    return run_playbook(
        PLAYBOOK,
        setup["inventory"],
        setup["collections"],
        extra_vars={**setup["extra"], **extra},
        args=args,
        env=setup["env"],
        cwd=setup["work"],
    )


def cached_facts(setup, host: str) -> dict:  # type: ignore[no-untyped-def]
    """A host's facts from the jsonfile fact cache (ansible-core 2.19 names the file
    ``s1_<host>`` and wraps the facts as a JSON string in ``__payload__``)."""
    for path in (setup["work"] / "facts").glob(f"*{host}"):
        if path.name in (host, f"s1_{host}"):
            data = json.loads(path.read_text())
            return json.loads(data["__payload__"]) if "__payload__" in data else data
    return {}


def test_scan_shards_writes_files_and_gives_each_host_its_own_facts(setup) -> None:  # type: ignore[no-untyped-def]
    run = play(setup)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    counts = recap(run.stdout)
    # both scan hosts had a share (a new share is a change)
    assert counts["scan1"]["changed"] == 1 and counts["scan2"]["changed"] == 1, counts

    lab = setup["lab"]
    for name, address in setup["hosts"].items():
        expected_ports = {s.port for s in lab.servers[name].services if s.protocol == "tcp"}
        services = cached_facts(setup, name).get("fastprobe_services")
        assert services, f"{name} got no facts"
        assert {r["address"] for r in services} == {address}, name  # its own, no one else's
        assert {r["port"] for r in services} == expected_ports, name
        doc = json.loads((setup["work"] / "results" / f"{name}.json").read_text())
        assert doc["host"] == name and doc["services"] == services
        assert all("elapsed_ms" not in r for r in services)  # the files diff only on change
    by_name = {n: cached_facts(setup, n)["fastprobe_services"] for n in setup["hosts"]}
    assert [r["service"] for r in by_name["openssh"]] == ["ssh"]
    assert {(r["port"], r["service"], r["tunnel"]) for r in by_name["nginx"]} >= {
        (80, "http", None),
        (443, "http", "ssl"),
    }
    for other in ("scan1", "scan2", "bystander"):
        assert "fastprobe_services" not in cached_facts(setup, other), other
    assert "7 hosts" not in run.stdout  # the summary counts the real number
    assert f"{len(setup['hosts'])} hosts," in run.stdout


def test_inventory_plugin_groups_hosts_from_the_files(setup) -> None:  # type: ignore[no-untyped-def]
    config = setup["work"] / "services.fastprobe.yml"
    config.write_text(
        "plugin: fastprobe.scanner.services\n"
        f"results_dir: {setup['work'] / 'results'}\n"
        "keyed_groups:\n"
        "  - key: fastprobe_services | map(attribute='product') | select | list\n"
        "    prefix: runs\n"
    )
    out = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(config), "--list"],
        env=ansible_env(setup["collections"]),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    inv = json.loads(out.stdout)

    def members(group: str) -> set:
        return set(inv.get(group, {}).get("hosts", []))

    assert members("service_ssh") == {"openssh"}
    assert members("service_http") == {"nginx"}
    assert members("service_smtp") == {"postfix"}
    assert members("service_mysql") == {"mariadb"}
    assert members("product_openssh") == {"openssh"}
    assert "postfix" in members("tunnel_ssl") and "nginx" in members("tunnel_ssl")
    assert members("runs_vsftpd") == {"vsftpd"}
    hostvars = inv["_meta"]["hostvars"]
    assert {r["port"] for r in hostvars["redis"]["fastprobe_services"]} == {6379}


def test_second_run_changes_nothing(setup) -> None:  # type: ignore[no-untyped-def]
    run = play(setup)
    assert run.returncode == 0, run.stdout[-4000:]
    assert all(c["changed"] == 0 for c in recap(run.stdout).values()), run.stdout[-3000:]


def test_a_changed_host_is_reported_with_a_diff(setup) -> None:  # type: ignore[no-untyped-def]
    path = setup["work"] / "results" / "redis.json"
    doc = json.loads(path.read_text())
    doc["services"][0]["version"] = "6.0.0"  # as if redis had been upgraded since
    path.write_text(json.dumps(doc))
    run = play(setup, "--diff")
    assert run.returncode == 0, run.stdout[-4000:]
    counts = recap(run.stdout)
    assert sum(c["changed"] for c in counts.values()) == 1, counts
    assert "redis (before)" in run.stdout and "6.0.0" in run.stdout
    assert json.loads(path.read_text())["services"][0]["version"] != "6.0.0"


def test_expectations_fail_on_a_missing_or_unexpected_service(setup) -> None:  # type: ignore[no-untyped-def]
    expect = {"openssh": ["22/ssh"], "nginx": ["80/http", "8080/http"], "redis": ["6379/redis"]}
    run = play(setup, fastprobe_expect=expect)
    assert run.returncode != 0
    assert "nginx: missing 8080/tcp/http, unexpected 443/tcp/http" in run.stdout
    assert "openssh" not in run.stdout.split("services differ", 1)[1].split("\n", 1)[0]
