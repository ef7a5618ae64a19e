# Copyright: fastprobe developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's half of service_scan: targets from the inventory, a shard per scan
host, overlay rules from the controller's checkout; then records per inventory host,
result files, expectations and diffs. The scan itself runs in the module."""

from __future__ import annotations

from typing import Callable, Optional

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe import facts
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe.engine.targets import (
    normal_address,
)
from ansible_collections.fastprobe.scanner.plugins.modules.service_scan import ARGUMENT_SPEC
from ansible_collections.fastprobe.scanner.plugins.plugin_utils.rules import read_rules, rules_paths

# options the action plugin consumes; the rest go to the module
CONTROLLER_ONLY = ("rules", "project_rules", "scanners", "shard", "results_dir", "expect",
                   "fail_on_mismatch")  # fmt: skip


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp: Optional[str] = None, task_vars: Optional[dict] = None) -> dict:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        _valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        args["rules"] = rules_paths(args, self._loader)
        if args["results_dir"]:
            args["results_dir"] = self._loader.path_dwim(args["results_dir"])
        inventory = Inventory(task_vars)
        wanted = inventory.expand(args["targets"])
        expected = inventory.expectations(args["expect"])
        me = task_vars.get("inventory_hostname", "localhost")
        if args["shard"] and not self._task.run_once:
            scanners = args["scanners"] or task_vars.get("ansible_play_hosts_all") or [me]
            if me not in scanners:
                raise AnsibleActionFail(f"scanners: {me} runs this task but is not listed")
            share = facts.shards((t.key for t in wanted), scanners)
            wanted = [t for t in wanted if share[t.key] == me]

        result.update(changed=False, records=[], hosts={}, changed_hosts=[], mismatches={})
        if not wanted:
            result["summary"] = {"targets": 0, "addresses": 0, "open": 0, "identified": 0,
                                 "unknown": 0}  # fmt: skip
            result["msg"] = "no targets in this scan host's share"
            return result

        module_args = {k: v for k, v in args.items() if k not in CONTROLLER_ONLY and v is not None}
        module_args["targets"] = sorted({t.spec for t in wanted})
        module_args["rules_content"] = read_rules(args["rules"], args["project_rules"])
        scanned = self._execute_module(
            module_name="fastprobe.scanner.service_scan",
            module_args=module_args,
            task_vars=task_vars,
        )
        if scanned.get("warnings"):
            result["warnings"] = scanned["warnings"]
        if args["dry_run"]:
            result.update(plan=scanned.get("plan"), msg=scanned.get("msg", ""))
            if scanned.get("failed"):
                result.update(failed=True, msg=scanned.get("msg"), option=scanned.get("option"))
            return result
        records = scanned.get("records") or []
        result.update(records=records, summary=scanned.get("summary", {}))
        for key in ("excluded", "covered"):
            if scanned.get(key):
                result[key] = scanned[key]
        # whatever happened, what was found is kept and reported per host
        by_host = inventory.assign(records, wanted)
        result["hosts"] = {h: facts.stable(rs) for h, rs in sorted(by_host.items())}
        if scanned.get("failed"):
            # a failed scan says nothing of what it did not reach: no file is touched
            result.update(failed=True, msg=scanned.get("msg", "the scan failed"))
            if scanned.get("option"):
                result["option"] = scanned["option"]
            return result
        self._compare(result, by_host, args, expected, facts.coverage(scanned.get("covered")))
        return result

    def _compare(
        self, result: dict, by_host: dict, args: dict, expected: dict, covered: Callable
    ) -> None:
        """changed, diffs, result files and expectations, host by host."""
        results_dir = args["results_dir"]
        diffs = []
        now = facts.utc_now()
        for host, records in sorted(by_host.items()):
            if records and all(r.get("state") == "unresolved" for r in records):
                continue  # not scanned (its name has no address): its file stays as it was
            doc = self._before(host, results_dir)
            before = None if doc is None else doc["services"]
            after = records
            if doc is not None:
                after = facts.carry(before, records, covered, doc.get("updated"))
            if before is None or facts.service_set(before) != facts.service_set(after):
                result["changed_hosts"].append(host)
                diffs.append(
                    {
                        "before_header": f"{host} (before)",
                        "after_header": f"{host} (now)",
                        "before": facts.diff_text(before),
                        "after": facts.diff_text(after),
                    }
                )
            if results_dir and not self._task.check_mode:
                try:
                    facts.write_host(results_dir, host, after, now)
                except (OSError, ValueError) as exc:
                    raise AnsibleActionFail(f"results_dir: {exc}") from exc
            if host in expected:
                verdict = facts.check(expected[host], records)
                if verdict["missing"] or verdict["unexpected"]:
                    result["mismatches"][host] = verdict
        result["changed"] = bool(result["changed_hosts"])
        if self._task.diff and diffs:
            result["diff"] = diffs
        if result["mismatches"] and args["fail_on_mismatch"]:
            result["failed"] = True
            result["msg"] = "services differ from what is expected: " + "; ".join(
                f"{h}: {facts.describe(v)}" for h, v in sorted(result["mismatches"].items())
            )

    def _before(self, host: str, results_dir: Optional[str]) -> Optional[dict]:
        if not results_dir:
            return None
        try:
            return facts.read_host_document(results_dir, host)
        except ValueError as exc:
            raise AnsibleActionFail(f"results_dir: {exc}") from exc


class Target:
    """One thing to scan: an inventory host (scanned at its ansible_host) or a literal
    address, network, range or name."""

    def __init__(self, spec: str, host: Optional[str] = None) -> None:
        self.spec = spec
        self.host = host

    @property
    def key(self) -> str:
        return self.host or self.spec


class Inventory:
    """The play's view of the inventory, for naming targets and mapping records back."""

    def __init__(self, task_vars: dict) -> None:
        self.groups: dict = task_vars.get("groups") or {}
        self.hostvars = task_vars.get("hostvars") or {}
        self.hosts = sorted(self.groups.get("all", [])) or sorted(self.hostvars)

    def address(self, host: str) -> str:
        vars_ = self.hostvars.get(host) or {}
        return str(vars_.get("ansible_host") or host)

    def expand(self, items: list[str]) -> list[Target]:
        targets: dict[str, Target] = {}
        for item in items:
            item = str(item).strip()
            if not item:
                raise AnsibleActionFail("targets: an empty entry")
            if item in self.groups:
                for host in self.groups[item]:
                    targets.setdefault(host, Target(self.address(host), host))
            elif item in self.hostvars:
                targets.setdefault(item, Target(self.address(item), item))
            else:
                targets.setdefault(item, Target(item))
        return list(targets.values())

    def expectations(self, expect: dict) -> dict[str, list]:
        """Per inventory host, the union of what its groups and itself expect."""
        out: dict[str, list] = {}
        for name, items in sorted(expect.items()):
            where = f"expect: {name}"
            try:
                parsed = facts.parse_expect(items, where)
            except facts.ExpectError as exc:
                raise AnsibleActionFail(str(exc)) from None
            if name in self.groups:
                hosts = self.groups[name]
            elif name in self.hostvars:
                hosts = [name]
            else:
                raise AnsibleActionFail(f"{where}: not an inventory host or group")
            for host in hosts:
                merged = out.setdefault(host, [])
                merged.extend(e for e in parsed if e not in merged)
        return out

    def assign(self, records: list[dict], wanted: list[Target]) -> dict[str, list[dict]]:
        """Records by inventory host: the hosts scanned by name or address, and any
        inventory host whose ansible_host a network or range covered."""
        by_host: dict[str, list[dict]] = {t.host: [] for t in wanted if t.host}
        spec_host = {t.spec: t.host for t in wanted if t.host}
        address_host = {}
        for host in self.hosts:
            address_host.setdefault(normal_address(self.address(host)), host)
        address_host.update({normal_address(t.spec): t.host for t in wanted if t.host})
        for record in records:
            host = spec_host.get(record.get("target") or "") or address_host.get(
                normal_address(record.get("address", ""))
            )
            if host is not None:
                by_host.setdefault(host, []).append(record)
        return by_host
