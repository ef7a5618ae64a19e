"""The ``fastprobe`` command line (the Python package ``fastprobe.cli``).

It lives outside ``plugins/module_utils`` because it prints and exits, which Ansible
module code must not do; it imports the engine like any other adapter.
"""
