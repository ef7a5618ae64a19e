"""Run rule regexes with a time bound, so a hostile reply cannot hang a scan.

Python's ``re`` has no step limit (nmap caps PCRE at a fixed number of steps and
treats hitting it as "no match"). Two sound ways to bound it, chosen per call:

* in the main thread, an interval timer: ``re`` checks for signals while it
  backtracks, so ``SIGALRM`` interrupts a runaway pattern within microseconds;
* in any other thread (Nornir runs tasks in threads) signals cannot reach the
  caller, so the candidates go to a helper process that enforces the same timer on
  itself and is killed if it still overruns.

A pattern that runs out of time counts as not matching — nmap's behaviour at its
limit — and is reported in ``Outcome.aborted``; one that took a good share of the time
and did not match is reported in ``Outcome.slow`` (a reply can be shaped to cost just
under the limit, on every probe: the Matcher remembers both).
"""

from __future__ import annotations

import atexit
import contextlib
import marshal
import math
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import NamedTuple, Optional, Union

from .model import Rule

DEFAULT_TIMEOUT = 0.05  # seconds one pattern may run on one reply
SLOW_SHARE = 0.1  # a run that took this share of the timeout without matching is slow

GroupRef = Union[int, str]


class Found(NamedTuple):
    """A match: the rule and the bytes of each PCRE group (None when unset)."""

    rule: Rule
    groups: tuple[Optional[bytes], ...]

    def group(self, num: int) -> Optional[bytes]:
        return self.groups[num - 1] if 0 < num <= len(self.groups) else None


class Outcome(NamedTuple):
    found: Optional[Found]
    aborted: tuple[Rule, ...]  # ran out of time
    slow: tuple[tuple[Rule, float], ...] = ()  # ran to the end, no match, seconds it took


class _Timeout(BaseException):
    pass


def _groups(rule: Rule, m: object) -> tuple[Optional[bytes], ...]:
    names = rule.translation.group_names
    refs: Sequence[GroupRef] = names if names else range(1, rule.translation.groups + 1)
    return tuple(m.group(r) for r in refs)  # type: ignore[attr-defined]


class Guard:
    """Finds the first of an ordered list of rules that matches, each bounded in time."""

    def __init__(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """``timeout`` None runs patterns unbounded (benchmarks compare with it). NaN
        would slip past a ``<= 0`` check and disarm the timer, infinity would never
        fire it: both are refused with the non-positive."""
        if timeout is not None and not (
            isinstance(timeout, (int, float))
            and not isinstance(timeout, bool)
            and math.isfinite(timeout)
            and timeout > 0
        ):
            raise ValueError(f"regex timeout must be a positive number of seconds, not {timeout!r}")
        self.timeout = timeout
        self._local = threading.local()
        self._armed = False

    def first_match(self, rules: Sequence[Rule], data: bytes) -> Outcome:
        if not rules:
            return Outcome(None, ())
        if self.timeout is None:
            return self._unbounded(rules, data)
        if self._can_use_signals():
            return self._inline(rules, data)
        sandbox = getattr(self._local, "sandbox", None)
        if sandbox is None:
            sandbox = self._local.sandbox = _Sandbox()
        return sandbox.first_match(rules, data, self.timeout)

    @staticmethod
    def _can_use_signals() -> bool:
        if not hasattr(signal, "setitimer"):
            return False
        if threading.current_thread() is not threading.main_thread():
            return False
        current = signal.getsignal(signal.SIGALRM)
        return current in (signal.SIG_DFL, signal.SIG_IGN, None) or getattr(
            current, "_fastprobe_guard", False
        )

    @staticmethod
    def _unbounded(rules: Sequence[Rule], data: bytes) -> Outcome:
        for rule in rules:
            regex = rule.regex
            m = (regex.match if rule.translation.anchored else regex.search)(data)
            if m is not None:
                return Outcome(Found(rule, _groups(rule, m)), ())
        return Outcome(None, ())

    def _inline(self, rules: Sequence[Rule], data: bytes) -> Outcome:
        def on_alarm(signum: int, frame: object) -> None:
            if self._armed:
                raise _Timeout

        on_alarm._fastprobe_guard = True  # type: ignore[attr-defined]
        previous = signal.signal(signal.SIGALRM, on_alarm)
        aborted: list[Rule] = []
        slow: list[tuple[Rule, float]] = []
        # One timer for the whole list, re-armed once half of it is spent: each pattern
        # gets between timeout/2 and timeout, at two system calls per reply, not per rule.
        timeout = self.timeout
        half, slow_s = timeout / 2, timeout * SLOW_SHARE
        armed_at = -1e9
        try:
            for rule in rules:
                regex = rule.regex
                run = regex.match if rule.translation.anchored else regex.search
                now = time.monotonic()
                if now - armed_at > half:
                    signal.setitimer(signal.ITIMER_REAL, timeout)
                    armed_at = now
                self._armed = True
                try:
                    m = run(data)
                    self._armed = False
                except _Timeout:
                    self._armed = False
                    aborted.append(rule)
                    armed_at = -1e9
                    continue
                if m is not None:
                    return Outcome(Found(rule, _groups(rule, m)), tuple(aborted), tuple(slow))
                took = time.monotonic() - now
                if took >= slow_s:
                    slow.append((rule, took))
            return Outcome(None, tuple(aborted), tuple(slow))
        finally:
            self._armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


# The helper process: stdlib only, so it runs wherever the engine runs (also from an
# Ansible module's temporary directory). Frames are a 4-byte length and marshal data.
_CHILD = r"""
import marshal, re, signal, struct, sys, time
class T(BaseException): pass
armed = [False]
def on_alarm(s, f):
    if armed[0]:
        raise T
signal.signal(signal.SIGALRM, on_alarm)
cache = {}
rd, wr = sys.stdin.buffer, sys.stdout.buffer
while True:
    head = rd.read(4)
    if len(head) < 4:
        break
    data, timeout, slow_s, rules = marshal.loads(rd.read(struct.unpack(">I", head)[0]))
    found, spans, aborted, slow = -1, None, [], []
    for k, (src, flags, anchored, refs) in enumerate(rules):
        rx = cache.get((src, flags))
        if rx is None:
            rx = cache[(src, flags)] = re.compile(src, flags)
        armed[0] = True
        began = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            m = (rx.match if anchored else rx.search)(data)
            armed[0] = False
        except T:
            aborted.append(k)
            continue
        finally:
            armed[0] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
        if m is not None:
            found, spans = k, [m.span(r) for r in refs]
            break
        took = time.monotonic() - began
        if took >= slow_s:
            slow.append((k, took))
    out = marshal.dumps((found, spans, aborted, slow))
    wr.write(struct.pack(">I", len(out)) + out)
    wr.flush()
"""

_children: set[subprocess.Popen] = set()


@atexit.register
def _stop_children() -> None:
    for proc in list(_children):
        _kill(proc)


def _kill(proc: subprocess.Popen) -> None:
    _children.discard(proc)
    if proc.poll() is None:
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    for stream in (proc.stdin, proc.stdout):
        if stream:
            stream.close()


class _Sandbox:
    """One helper process per thread, started on first use, replaced if it overruns."""

    def __init__(self) -> None:
        self.proc: Optional[subprocess.Popen] = None

    def _start(self) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        _children.add(proc)
        return proc

    def first_match(self, rules: Sequence[Rule], data: bytes, timeout: float) -> Outcome:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        proc = self.proc
        specs = []
        for r in rules:
            names = r.translation.group_names
            refs = list(names) if names else list(range(1, r.translation.groups + 1))
            tr = r.translation
            specs.append((tr.source, int(tr.flags), tr.anchored, refs))
        req = marshal.dumps((data, timeout, timeout * SLOW_SHARE, specs))
        # the child bounds each pattern itself; this is the backstop if it cannot
        deadline = 5.0 + timeout * len(rules) * 2
        try:
            if proc.stdin is None or proc.stdout is None:
                raise OSError("regex helper has no pipes")
            proc.stdin.write(struct.pack(">I", len(req)) + req)
            proc.stdin.flush()
            head = _read_exact(proc.stdout, 4, deadline)
            body = _read_exact(proc.stdout, struct.unpack(">I", head)[0], deadline)
            found, spans, aborted_idx, slow_idx = marshal.loads(body)
        except (OSError, EOFError, ValueError, TimeoutError):
            _kill(proc)
            self.proc = None
            return Outcome(None, tuple(rules))
        aborted = tuple(rules[k] for k in aborted_idx)
        slow = tuple((rules[k], took) for k, took in slow_idx)
        if found < 0:
            return Outcome(None, aborted, slow)
        groups = tuple(None if s < 0 else data[s:e] for s, e in spans)
        return Outcome(Found(rules[found], groups), aborted, slow)


def _read_exact(stream, n: int, deadline: float) -> bytes:  # type: ignore[no-untyped-def]
    fd = stream.fileno()
    chunks = []
    remaining = n
    while remaining:
        ready = select.select([fd], [], [], deadline)[0]
        if not ready:
            raise TimeoutError("regex helper did not answer")
        chunk = os.read(fd, remaining)
        if not chunk:
            raise EOFError("regex helper exited")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
