#!/usr/bin/python
# Copyright: fastprobe developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: service_scan
short_description: Identify the services on targets' ports, as nmap -sV would, in seconds
description:
  - Finds open ports by TCP connect and names the service on each with nmap's probe
    file (C(nmap-service-probes)) and the collection's overlay rules, giving nmap's
    verdicts while sending probes concurrently with short adaptive waits.
  - Runs on a scan host, which needs nothing but Python; the engine travels with the
    module. nmap's probe file is read from the scan host (Debian's C(nmap) package
    puts it in C(/usr/share/nmap)).
  - The action plugin of the same name runs on the controller first. It expands
    inventory groups and host names in O(targets) (a host is scanned at its
    C(ansible_host)), shards the targets across the scan hosts of the play, reads
    the overlay rule files from the controller, and afterwards returns the records per
    inventory host, writes them to O(results_dir) and checks O(expect).
  - A scan only reads; in check mode it scans all the same, and only the writing of
    result files is skipped.
version_added: 0.1.0
author: fastprobe developers (!UNKNOWN)
options:
  targets:
    description:
      - What to scan. Inventory group names and inventory host names (expanded by the
        action plugin on the controller), or addresses, CIDR blocks
        (C(10.0.0.0/24)), octet ranges (C(10.0.0.1-20)) and DNS names.
    type: list
    elements: str
    required: true
  ports:
    description:
      - Ports in nmap's syntax (C(22,80,1000-2000), C(T:443), C(U:53)); UDP ports
        need the C(U:) prefix.
      - Without it, nmap's O(top_ports) most common TCP ports are scanned.
    type: str
  top_ports:
    description:
      - Scan this many of the most common TCP ports, from nmap's C(nmap-services)
        (1000 when neither this nor O(ports) is given).
      - Give O(ports) or O(top_ports), not both.
    type: int
  exclude:
    description:
      - Addresses, CIDR blocks, ranges or DNS names never to scan (a comma separated
        item is several).
      - Names are looked up on the scan host before the scan, and every target is
        checked against the excluded addresses after its own name is looked up, so a
        host given by another name or address is still left alone. An exclusion that
        cannot be looked up fails the task before anything is sent.
    type: list
    elements: str
    default: []
  max_addresses:
    description:
      - Refuse targets that stand for more addresses than this (before exclusions), so
        that a mistyped prefix (C(10.0.0.0/8) for C(10.0.0.0/28)) fails at once
        instead of starting a scan of millions. Raise it for a scan that large.
    type: int
    default: 65536
  dry_run:
    description:
      - Check every option and target, look names up, and return in RV(plan) what
        would be probed, without sending anything to a target. Check mode, unlike
        this, scans (a scan only reads).
    type: bool
    default: false
  intensity:
    description:
      - nmap's version intensity, 0 (port-listed probes only) to 9 (every probe).
    type: int
    default: 7
  profile:
    description:
      - V(fast) (when not given) waits briefly for replies, adapted to each target's
        round-trip time.
      - V(thorough) waits longer and holds one connection open for nmap's own NULL
        wait, catching slow banners (SMTP greet-pause).
    type: str
    choices: [fast, thorough]
  connect_timeout:
    description: Seconds for a TCP connect and TLS handshake (default from O(profile)).
    type: float
  wait_min:
    description:
      - Shortest wait in seconds for a probe's reply (default from O(profile)); waits
        grow with the target's round-trip time up to O(wait_max).
    type: float
  wait_max:
    description: Longest wait in seconds for a probe's reply (default from O(profile)).
    type: float
  max_conns:
    description: Connections open at once, across the scan (512 when not given).
    type: int
  max_host_conns:
    description:
      - Most connections open at once to one address (32 when not given). The cap
        shrinks by itself when a host turns connections away.
    type: int
  regex_timeout:
    description:
      - Seconds one pattern may spend on one reply (0.05 when not given); a pattern
        that runs out is counted as not matching, as nmap does at its limit, and
        named in the record's C(timeouts).
    type: float
  rate:
    description: New connections per second, across the scan (default unlimited).
    type: float
  report_closed:
    description: Also return records for closed and filtered ports.
    type: bool
    default: false
  exclude_mode:
    description:
      - What to do with the C(Exclude) directive of nmap's probe file (ports reported
        open without version detection, T:9100-9107 in nmap's file; printers there
        print what they are sent, and Prometheus exporters listen there too).
      - V(replace) (the default) uses only the overlays' C(Exclude) lines; the
        collection's rules have none, so 9100-9107 are probed and the exporters named.
      - V(keep) honours nmap's as well (set it where printers listen on 9100-9107),
        V(drop) ignores every C(Exclude).
    type: str
    choices: [keep, replace, drop]
    default: replace
  nmap_probes:
    description:
      - Path of nmap's probe file on the scan host. By default the installed nmap's
        (or the file named by E(FASTPROBE_NMAP_PROBES)).
    type: path
  engine:
    description:
      - V(native) is the concurrent engine. V(nmap) runs nmap itself on the scan host
        (C(nmap -sV)), with nmap's probe file and the overlays merged into one file, and
        returns the same records; its XML gives the verdicts and its version trace the
        deciding rule. Built with the collection's nmap role, nmap gets short waits.
      - With V(nmap), O(profile), O(connect_timeout), O(wait_min), O(wait_max),
        O(max_conns), O(max_host_conns) and O(regex_timeout) must not be given (nmap
        times itself);
        O(rate) is nmap's C(--max-rate); UDP ports need root on the scan host
        (C(become)).
    type: str
    choices: [native, nmap]
    default: native
  nmap_path:
    description:
      - The nmap that O(engine=nmap) runs on the scan host. By default
        C(/opt/fastprobe/nmap/bin/nmap), where the collection's nmap role installs it,
        else C(nmap) on the scan host's E(PATH).
      - Without O(nmap_probes), that nmap's own probe file is used
        (C(<prefix>/share/nmap/nmap-service-probes)).
    type: path
  scanners:
    description:
      - The scan hosts the targets are shared among. By default every host of the
        play; with C(run_once) the one host that runs the task scans everything.
    type: list
    elements: str
  shard:
    description: Share the targets among O(scanners). Off, every scan host scans all.
    type: bool
    default: true
  results_dir:
    description:
      - Directory on the controller for one JSON file per inventory host
        (C(<inventory_hostname>.json)), in a stable order and without timings, so the
        files can be kept in Git and reviewed as diffs. Not written in check mode.
      - The file a host had before is what O(expect) and C(changed) compare against.
      - A file is written only when the host's services changed (its C(updated) says
        when), whole or not at all, keeping its mode, owner and symlinks; never when
        the scan failed or in check mode.
      - Records the file holds for ports this scan did not cover (a rescan of fewer
        ports) are kept, each with C(last_seen), the C(updated) time of the file that
        held it.
    type: path
  expect:
    description:
      - Expected services per inventory host or group, as C(PORT[/PROTOCOL]/NAME)
        (C(22/ssh), C(443/nginx), C(53/udp/domain)); NAME is a service name or a
        product, in any case. An expected service not seen is C(missing); an open
        port no expectation of that host names is C(unexpected).
    type: dict
    default: {}
  fail_on_mismatch:
    description:
      - Fail when a host misses an expected service or runs an unexpected one.
        Otherwise the task only reports it in RV(mismatches).
    type: bool
    default: true
extends_documentation_fragment:
  - fastprobe.scanner.rules
notes:
  - Sends traffic only to the targets given; mind your network's rules.
  - Facts go back to the targets with M(fastprobe.scanner.service_facts) in a play on
    those hosts, so they never land on the wrong host.
seealso:
  - module: fastprobe.scanner.service_facts
  - name: nmap's service and version detection
    description: The probe file format and the verdicts this module reproduces.
    link: https://nmap.org/book/vscan.html
attributes:
  check_mode:
    description: Can run in check mode and return the status it would have without it.
    support: full
    details: A scan only reads, so it runs in check mode too; result files are not written.
  diff_mode:
    description: Shows, with C(--diff), the services of each host before and now.
    support: full
"""

EXAMPLES = r"""
- name: Scan the web and db groups from the scan hosts, sharing the work
  fastprobe.scanner.service_scan:
    targets: [web, db]
    ports: "22,80,443,3306,5432"
    results_dir: "{{ playbook_dir }}/services"
  register: scan

- name: Check what runs where
  fastprobe.scanner.service_scan:
    targets: [web]
    ports: "22,80,443"
    expect:
      web: [22/ssh, 80/http, 443/nginx]
    results_dir: "{{ playbook_dir }}/services"

- name: A subnet, thoroughly, politely
  fastprobe.scanner.service_scan:
    targets: [192.0.2.0/28]
    profile: thorough
    max_host_conns: 4
    rate: 200
  run_once: true
"""

RETURN = r"""
records:
  description:
    - One record per (address, port, protocol) found, in the order they finished.
    - Besides the fields of the sample, C(target) (the name scanned), C(replies)
      (unknown services), C(tls) (certificate facts), C(error), and C(timeouts) (the
      rules, C(file:line), whose pattern ran out of time on the port's replies) when
      they apply. Result files leave out C(elapsed_ms) and C(timeouts), which change
      from run to run.
  returned: success
  type: list
  elements: dict
  sample:
    - address: 192.0.2.10
      port: 22
      protocol: tcp
      state: open
      service: ssh
      product: OpenSSH
      version: 9.2p1 Debian 2+deb12u3
      extrainfo: protocol 2.0
      hostname: null
      ostype: Linux
      devicetype: null
      cpe: [cpe:/a:openbsd:openssh:9.2p1, cpe:/o:linux:linux_kernel]
      tunnel: null
      method: matched
      probe: NULL
      rule: /usr/share/nmap/nmap-service-probes:1234
      elapsed_ms: 153
hosts:
  description:
    - The records of each inventory host this scan host scanned (an empty list when
      none of its ports is open).
  returned: success, from the action plugin
  type: dict
  sample: {web1: [{address: 192.0.2.10, port: 22, protocol: tcp, state: open, service: ssh}]}
changed_hosts:
  description: Inventory hosts whose services differ from what they had before.
  returned: success, from the action plugin
  type: list
  elements: str
mismatches:
  description:
    - Per inventory host whose expectations are not met, what is C(missing) and
      C(unexpected).
  returned: success, from the action plugin
  type: dict
  sample: {web1: {missing: [443/tcp/nginx], unexpected: [8080/tcp/http]}}
summary:
  description:
    - Counts for this scan host; C(addresses) is what the targets stand for before
      exclusions.
  returned: success
  type: dict
  sample: {targets: 12, addresses: 12, open: 30, identified: 28, unknown: 2, seconds: 3.2}
covered:
  description:
    - The ports the scan covered, as C([low, high]) ranges by protocol. Records that a
      host's results file holds for other ports are kept there (see O(results_dir)).
  returned: when the scan ran
  type: dict
  sample: {tcp: [[22, 22], [80, 80]], udp: []}
excluded:
  description: Targets given by name that were not scanned because their address is excluded.
  returned: when the scan ran
  type: list
  elements: str
  sample: ["db1.example.com: 192.0.2.7 is excluded"]
option:
  description: The option at fault when the task failed on one.
  returned: failure
  type: str
  sample: targets
plan:
  description:
    - With O(dry_run), what would be probed; nothing was sent.
    - C(first) holds the first addresses (names looked up, exclusions applied),
      C(not_scanned) the targets that would be skipped and why.
  returned: when O(dry_run) is true
  type: dict
  sample:
    engine: native
    targets: 1
    addresses: 256
    ports: 3
    port_list: "T:22,80,443"
    to_probe: 768
    first: [192.0.2.0, 192.0.2.1]
    not_scanned: []
    exclude: [192.0.2.1/32]
    summary: 256 address(es) x 3 port(s) = 768 to probe (engine native)
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe.engine import (
    api,
    options,
)

ARGUMENT_SPEC = dict(
    targets=dict(type="list", elements="str", required=True),
    ports=dict(type="str"),
    top_ports=dict(type="int"),
    exclude=dict(type="list", elements="str", default=[]),
    max_addresses=dict(type="int", default=options.DEFAULTS["max_addresses"]),
    dry_run=dict(type="bool", default=False),
    intensity=dict(type="int", default=options.DEFAULTS["intensity"]),
    profile=dict(type="str", choices=["fast", "thorough"]),
    connect_timeout=dict(type="float"),
    wait_min=dict(type="float"),
    wait_max=dict(type="float"),
    max_conns=dict(type="int"),
    max_host_conns=dict(type="int"),
    regex_timeout=dict(type="float"),
    rate=dict(type="float"),
    report_closed=dict(type="bool", default=False),
    exclude_mode=dict(
        type="str", choices=list(options.EXCLUDE_MODES), default=options.DEFAULT_EXCLUDE_MODE
    ),
    **options.RULES_ARGUMENT_SPEC,
    nmap_probes=dict(type="path"),
    engine=dict(type="str", choices=list(options.ENGINES), default=options.DEFAULTS["engine"]),
    nmap_path=dict(type="path"),
    scanners=dict(type="list", elements="str"),
    shard=dict(type="bool", default=True),
    results_dir=dict(type="path"),
    expect=dict(type="dict", default={}),
    fail_on_mismatch=dict(type="bool", default=True),
)
# the options the engine takes as they are (the rest are the action plugin's)
ENGINE_OPTIONS = ("targets", "ports", "top_ports", "exclude", "max_addresses", "intensity",
                  "profile", "connect_timeout", "wait_min", "wait_max", "max_conns",
                  "max_host_conns", "regex_timeout", "rate", "report_closed", "exclude_mode",
                  "nmap_probes", "engine", "nmap_path")  # fmt: skip


def request(params):
    """The engine's request: the overlays the action plugin read on the controller
    (the project's among them) stand for every overlay."""
    return options.ScanRequest(
        rules_content=options.rules_content(params["rules_content"]),
        project_rules=False,
        **{name: params[name] for name in ENGINE_OPTIONS},
    )


def summarise(outcome, scan, seconds):
    counts = outcome.counts()
    return dict(
        targets=scan.plan.items,
        addresses=scan.addresses,
        **{k: counts[k] for k in ("open", "identified", "unknown")},
        seconds=round(seconds, 2),
    )


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        scan = api.open_scan(request(params))
    except options.OptionError as exc:
        module.fail_json(msg=str(exc), option=exc.option)
    if params["dry_run"]:
        plan = scan.preview()
        module.exit_json(changed=False, records=[], plan=plan, msg=f"would scan {plan['summary']}")
    start = time.monotonic()
    outcome = scan.run()
    records = [r.as_dict() for r in outcome.records]
    for warning in outcome.warnings:
        module.warn(warning)
    summary = summarise(outcome, scan, time.monotonic() - start)
    if not outcome.ok:  # what finished is returned all the same
        module.fail_json(
            msg=outcome.error or "interrupted", option=outcome.option, records=records,
            summary=summary, covered=scan.covered(),
        )  # fmt: skip
    module.exit_json(
        changed=False, records=records, summary=summary, covered=scan.covered(),
        excluded=list(outcome.excluded),
    )  # fmt: skip


if __name__ == "__main__":
    main()
