# Copyright: fastprobe developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's half of probe_file: the overlays are read here and sent along."""

from __future__ import annotations

from typing import Optional

from ansible.plugins.action import ActionBase
from ansible_collections.fastprobe.scanner.plugins.modules.probe_file import ARGUMENT_SPEC
from ansible_collections.fastprobe.scanner.plugins.plugin_utils.rules import read_rules, rules_paths

FILE_ARGS = ("mode", "owner", "group", "seuser", "serole", "selevel", "setype", "attributes",
             "unsafe_writes")  # fmt: skip


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp: Optional[str] = None, task_vars: Optional[dict] = None) -> dict:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        file_args = {k: v for k, v in self._task.args.items() if k in FILE_ARGS}
        own = {k: v for k, v in self._task.args.items() if k not in FILE_ARGS}
        self._task.args = own
        _valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        rules = rules_paths(args, self._loader)
        module_args = {k: v for k, v in args.items() if k not in ("rules", "project_rules")}
        module_args["rules_content"] = read_rules(rules, args["project_rules"])
        module_args.update(file_args)
        result.update(
            self._execute_module(
                module_name="fastprobe.scanner.probe_file",
                module_args=module_args,
                task_vars=task_vars,
            )
        )
        return result
