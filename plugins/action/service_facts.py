# Copyright: fastprobe developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts for the host the task runs for, from service_scan's files or results."""

from __future__ import annotations

from typing import Optional

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.fastprobe.scanner.plugins.module_utils.fastprobe import facts

ARGUMENT_SPEC = dict(
    results_dir=dict(type="path"),
    scan_results=dict(type="list", elements="raw"),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp: Optional[str] = None, task_vars: Optional[dict] = None) -> dict:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _valid, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC,
            required_one_of=[["results_dir", "scan_results"]],
            mutually_exclusive=[["results_dir", "scan_results"]],
        )
        host = task_vars.get("inventory_hostname")
        if args["results_dir"]:
            records = self._from_files(self._loader.path_dwim(args["results_dir"]), host)
        else:
            records = _from_results(args["scan_results"], host)
        result.update(changed=False, scanned=records is not None)
        if records is not None:
            result["ansible_facts"] = {"fastprobe_services": records}
        return result

    @staticmethod
    def _from_files(results_dir: str, host: str) -> Optional[list]:
        try:
            return facts.read_host(results_dir, host)
        except ValueError as exc:
            raise AnsibleActionFail(f"results_dir: {exc}") from exc


def _from_results(results: list, host: str) -> Optional[list]:
    found = None
    for i, item in enumerate(results):
        if item is None:
            continue  # a scan host that did not run the task
        hosts = item.get("hosts") if isinstance(item, dict) else None
        if not isinstance(hosts, dict):
            raise AnsibleActionFail(
                f"scan_results: entry {i} is not a registered service_scan result"
            )
        if host in hosts:
            found = (found or []) + list(hosts[host])
    return None if found is None else facts.stable(found)
