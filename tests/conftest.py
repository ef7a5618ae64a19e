"""Shared fixtures: the real nmap probe file, loaded once per session."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

import hypothesis.internal.observability  # noqa: F401  (see below)
import pytest

# Imported now rather than by hypothesis' plugin at the end of the session: Python
# 3.11's AST constructor can raise a spurious "recursion depth mismatch" when a
# module compiles while test threads run (CPython gh-106905, fixed in 3.12.1).

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the tests' parse cache (their temporary rule files included) stays out of the user's
if "FASTPROBE_CACHE_DIR" not in os.environ:
    os.environ["FASTPROBE_CACHE_DIR"] = tempfile.mkdtemp(prefix="fastprobe-test-cache-")
    atexit.register(shutil.rmtree, os.environ["FASTPROBE_CACHE_DIR"], ignore_errors=True)
sys.path.insert(0, ROOT)  # tests.support, tests.lab

from fastprobe.rules.matcher import Matcher  # noqa: E402
from fastprobe.rules.ruleset import RuleSet, find_nmap_probes, load_probe_file  # noqa: E402


@pytest.fixture(scope="session")
def nmap_probes_path() -> str:
    path = find_nmap_probes()
    assert path, "nmap's probe file is missing: `make setup` installs Debian's nmap"
    return path


@pytest.fixture(scope="session")
def nmap_file(nmap_probes_path):  # type: ignore[no-untyped-def]
    return load_probe_file(nmap_probes_path)


@pytest.fixture(scope="session")
def nmap_rules(nmap_file) -> RuleSet:  # type: ignore[no-untyped-def]
    return RuleSet([], base=nmap_file, exclude="keep")  # as nmap applies its file


@pytest.fixture(scope="session")
def nmap_matcher(nmap_rules) -> Matcher:  # type: ignore[no-untyped-def]
    return Matcher(nmap_rules)
