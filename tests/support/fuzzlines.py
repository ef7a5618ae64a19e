"""Mutated probe-file lines, each checked for crashes: the fuzz test and the long harness.

``tests/test_fuzz.py`` runs a short seeded run in ``make test``;
``benchmarks/fuzz_rules.py`` runs a million lines. Both use this module, so the
mutations and the checks are one thing.

Seeds are the lines of nmap's installed probe file, read at run time (nmap's file is
not ours to copy), plus the project's overlays (for ``#@example`` lines, which nmap's
file lacks). Each mutated line is parsed in lenient mode (many lines per call, each
refusal attributed by its line number) and must either be refused with an issue or
be accepted; a strict parse of the same text must stop at the first refused line
with ``ProbeFileError``. Every accepted rule must compile, run on a few replies
under the regex guard, render its templates when it matches, survive lint and a
pickle round trip (the parse cache). Any other exception is a crash, recorded by
stage and type with the line that caused it.
"""

from __future__ import annotations

import pickle
import random
import re
import time
import traceback
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from fastprobe.rules.guard import Guard
from fastprobe.rules.lint import check_rules
from fastprobe.rules.matcher import verdict_from
from fastprobe.rules.model import Probe, ProbeFile, ProbeFileError, Rule
from fastprobe.rules.parser import parse_text
from fastprobe.rules.pcre import PatternError, compile_translation, translate

HEAD = "Probe TCP NULL q||"
NAME = "fuzz"
BATCH = 200  # lines per parse call
# A batch usually takes ~0.1 s; one this slow is checked line by line, and a line that
# alone takes SLOW_LINE is reported like a crash: parsing must stay about linear.
SLOW_BATCH = 5.0
SLOW_LINE = 1.0

# single characters that matter to the grammar of probe lines, patterns and templates
_CHARS = "\\|/()[]{}^$*+?.:-#\"' \t,<>=!0123456789aimsxqEQPkgcoAzZhvRNpvdcpe"
# constructs, valid and not, that the translator and Python's re treat specially
_FRAGMENTS = (
    "(?<=", "(?<!", "(?>", "(?|", "(?:", "(?=", "(?!", "(?P<n>", "(?P=n)", "(?<n>", "(?'n'",
    "\\k<n>", "\\k{n}", "\\k'n'", "\\g{-1}", "\\g1", "\\g{1}", "\\g{n}", "(?(1)", "(?(<n>)",
    "(?(n)", "(?i)", "(?-s)", "(?m)", "(?x)", "(?s:.)", "(?i-i)", "(?-)", "(?P>n)", "(?R)",
    "(?1)", "(?&n)", "(*FAIL)", "(*", "(?#", "[[:alpha:]]", "[[:^digit:]]", "[[.a.]]",
    "[[=a=]]", "[[:word:]", "\\Q", "\\E", "\\Q.*\\E", "\\x{", "\\x{100}", "\\x{ff}", "\\o{",
    "\\o{777}", "\\c", "\\cA", "\\c\xe9", "{,5}", "{2,1}", "{65536}", "{65535}", "{0}",
    "{1,}", "*+", "++", "?+", "??", "\\p{L}", "\\X", "\\C", "|ab", "(?<=a|bc)", "(?<=a+)",
    "(?<!a*)", "(?<=(a))", "$P(", "$P(1)", '$SUBST(1,"', '","', '$SUBST(1,"a","b")',
    '$I(1,">")', '$I(1,"<")', "$0", "$9", "$", "cpe:/", "cpe:|", " i/", " p/", " v/$1/",
    " o/", " d/", " h/", "\\0", "\\8", "\\9", "\\10", "\\100", "\\377", "\\400", "\\b", "\\B",
    "\\A", "\\z", "\\Z", "\\G", "\\R", "\\h", "\\V", "\\N", "\\K", "[]", "[^]", "[]-a]",
    "[a-\\d]", "[z-a]", "[\\b]", "[\\8]", "[\\x{41}-\\x{40}]", "\\1", "(a)", "(", ")", "|",
    "\\", "\\r\\n", "\\x", "\\xZ", "no-payload", ",", "-", "T:", "U:", "S:", ":",
)  # fmt: skip
_NUMBERS = (
    "0", "1", "9", "10", "65535", "65536", "99999", "300000", "300001", "2147483647",
    "2147483648", "9223372036854775808", "18446744073709551616", "-1", "+5", "0x10", "08",
)  # fmt: skip
_LONG = (6, 10, 11, 20, 310, 4301, 5000)
_DEPTHS = (50, 199, 200, 201, 250, 500, 1000)
_DIGIT_RUN = re.compile(r"\d+")


def read_seeds(paths: Iterable[str]) -> list[str]:
    """The lines of these files that hold something (no blank lines, no plain comments)."""
    seeds = []
    for path in paths:
        with open(path, encoding="latin-1") as fh:
            for raw in fh.read().split("\n"):
                line = raw.rstrip("\r")
                if line.strip() and (not line.startswith("#") or line.startswith("#@example")):
                    seeds.append(line)
    return seeds


def _big(rnd: random.Random) -> str:
    digits = "".join(rnd.choices("0123456789", k=rnd.choice(_LONG)))
    return digits if rnd.random() < 0.8 else "0" * rnd.randint(1, 8) + digits


def mutate(line: str, rnd: random.Random, pool: Sequence[str]) -> str:
    """One to three edits of ``line``: characters, grammar fragments, other lines' text,
    numbers swapped for huge or boundary ones, deep nesting. Never adds a line break."""
    s = line
    for _ in range(rnd.randint(1, 3)):
        n = len(s)
        pos = rnd.randint(0, n)
        op = rnd.random()
        if op < 0.14 and n:  # delete one character or a slice
            end = pos + (1 if rnd.random() < 0.7 else rnd.randint(1, 12))
            s = s[:pos] + s[end:]
        elif op < 0.30:
            s = s[:pos] + rnd.choice(_CHARS) + s[pos:]
        elif op < 0.40 and n:
            k = min(pos, n - 1)
            s = s[:k] + chr(rnd.randint(1, 255)) + s[k + 1 :]
        elif op < 0.58:
            s = s[:pos] + rnd.choice(_FRAGMENTS) + s[pos:]
        elif op < 0.70:  # a number replaced: boundaries, or far too many digits
            runs = list(_DIGIT_RUN.finditer(s))
            new = _big(rnd) if rnd.random() < 0.4 else rnd.choice(_NUMBERS)
            if runs:
                m = rnd.choice(runs)
                s = s[: m.start()] + new + s[m.end() :]
            else:
                s = s[:pos] + new + s[pos:]
        elif op < 0.76:  # deep nesting around part of the line
            depth = rnd.choice(_DEPTHS)
            end = rnd.randint(pos, n)
            opener = rnd.choice(("(", "(?:", "(?>", "(?=", "(a|"))
            s = s[:pos] + opener * depth + s[pos:end] + ")" * depth + s[end:]
        elif op < 0.86 and pool:  # a slice of another line spliced in
            other = rnd.choice(pool)
            a = rnd.randint(0, len(other))
            b = min(len(other), a + rnd.randint(1, 40))
            end = min(n, pos + rnd.randint(0, 20))
            s = s[:pos] + other[a:b] + s[end:]
        elif op < 0.94 and n:  # a slice repeated
            a = rnd.randint(0, n - 1)
            b = min(n, a + rnd.randint(1, 16))
            s = s[:pos] + s[a:b] * rnd.randint(2, 4) + s[pos:]
        elif n:  # the pattern's or a template's delimiter changed
            k = next((i for i in range(pos, n) if s[i] in "|/=%"), -1)
            if k >= 0:
                s = s[:k] + rnd.choice("|/=%#!@ ") + s[k + 1 :]
    return s.replace("\n", " ")


def mutations(seeds: Sequence[str], count: int, seed: int) -> Iterable[str]:
    """``count`` mutated lines, the same ones for the same ``seed``."""
    rnd = random.Random(seed)
    for _ in range(count):
        yield mutate(rnd.choice(seeds), rnd, seeds)


class Crash(NamedTuple):
    stage: str  # parse, strict, compile, emulated, match, lint, pickle, slow
    kind: str  # the exception's type
    line: str  # the mutated line that caused it
    message: str
    where: str  # the innermost frame: file:line in function


class Tally:
    """What a run saw; ``crashes`` counts by ``stage: type``, ``samples`` keeps the first."""

    def __init__(self) -> None:
        self.lines = 0
        self.accepted = 0
        self.refused = 0
        self.rules = 0
        self.replies = 0
        self.matched = 0
        self.crashes: Counter[str] = Counter()
        self.samples: dict[str, Crash] = {}

    def crash(self, stage: str, exc: BaseException, line: str) -> None:
        key = f"{stage}: {type(exc).__name__}"
        self.crashes[key] += 1
        if key not in self.samples:
            tb = traceback.extract_tb(exc.__traceback__)
            where = f"{tb[-1].filename}:{tb[-1].lineno} in {tb[-1].name}" if tb else "?"
            self.samples[key] = Crash(stage, type(exc).__name__, line, str(exc)[:300], where)

    @property
    def crash_count(self) -> int:
        return sum(self.crashes.values())


def _replies(rule: Rule) -> list[bytes]:
    """A reply built from what the pattern requires (so templates get filled now and then),
    a text banner and binary data; short, so a runaway pattern stays cheap."""
    t = rule.translation
    built = t.prefix + b"1.0".join(t.literals) + b"\r\n"
    banner = b"SSH-2.0-OpenSSH_8.9p1 Debian-3\r\nHTTP/1.1 200 OK\r\n"
    return [built[:512], banner, b"\x00\xff\x01abc"]


def _probe_for(rule: Rule) -> Probe:
    probe = Probe("TCP", "NULL", b"", NAME, 1)
    probe.rules = [rule]
    return probe


class Checker:
    """Runs the checks; one per run (it holds the regex guard). ``lint_every``: lint every
    Nth accepted rule only (lint parses the pattern again: a third of the time)."""

    def __init__(self, tally: Tally, timeout: float = 0.05, lint_every: int = 1) -> None:
        self.tally = tally
        self.guard = Guard(timeout)
        self.lint_every = lint_every

    def check(self, lines: Sequence[str]) -> None:
        """Check ``lines``, attributing each refusal and crash to its line."""
        head = [ln for ln in lines if not ln.startswith("Exclude")]
        for ln in lines:
            if ln.startswith("Exclude"):  # only valid before any Probe: a file of its own
                self._timed([ln], header=False)
        for k in range(0, len(head), BATCH):
            self._timed(head[k : k + BATCH], header=True)

    def _timed(self, lines: Sequence[str], header: bool) -> None:
        began = time.perf_counter()
        self._batch(lines, header)
        if time.perf_counter() - began < SLOW_BATCH:
            return
        for ln in lines:  # which line: each alone, on a scratch tally
            again = Checker(Tally(), self.guard.timeout or 0.05, self.lint_every)
            began = time.perf_counter()
            again._batch([ln], header)
            took = time.perf_counter() - began
            if took >= SLOW_LINE:
                self.tally.crash("slow", TimeoutError(f"one line took {took:.1f} s"), ln)

    def _batch(self, lines: Sequence[str], header: bool) -> None:
        tally = self.tally
        first = 2 if header else 1  # the file line of lines[0]
        text = (HEAD + "\n" if header else "") + "\n".join(lines) + "\n"
        try:
            pf = parse_text(text, NAME, lenient=True)
        except Exception as exc:
            if len(lines) == 1:
                tally.lines += 1
                tally.crash("parse", exc, lines[0])
                return
            for ln in lines:  # find the line(s): each alone
                self._batch([ln], header)
            return
        tally.lines += len(lines)
        bad = {i.line for i in pf.issues if i.severity == "error"}
        refused = sum(1 for k in range(len(lines)) if first + k in bad)
        tally.refused += refused
        tally.accepted += len(lines) - refused
        self._strict(text, lines, first, min(bad, default=0))
        for rule in pf.rules():
            tally.rules += 1
            self._rule(rule, lines[rule.line - first])

    def _strict(self, text: str, lines: Sequence[str], first: int, stop: int) -> None:
        """A strict parse stops at the first line lenient parsing refused, naming it."""
        try:
            parse_text(text, NAME)
        except ProbeFileError as exc:
            if exc.line != stop:
                line = lines[exc.line - first] if 0 <= exc.line - first < len(lines) else text
                msg = f"strict parse stopped at line {exc.line}, lenient refused {stop}: {exc}"
                self.tally.crash("strict", AssertionError(msg), line)
            return
        except Exception as exc:
            self.tally.crash("strict", exc, lines[0] if len(lines) == 1 else text)
            return
        if stop:
            msg = f"strict parse accepted what lenient parsing refused at line {stop}"
            self.tally.crash("strict", AssertionError(msg), lines[stop - first])

    def _rule(self, rule: Rule, line: str) -> None:
        tally = self.tally
        try:
            rule.regex  # noqa: B018 — compiled as the matcher compiles it
        except Exception as exc:
            tally.crash("compile", exc, line)
            return
        ci, dotall = "i" in rule.opts, "s" in rule.opts
        try:  # Python < 3.11's form: atomic groups emulated
            compile_translation(
                translate(rule.pattern, ignorecase=ci, dotall=dotall, native_atomic=False)
            )
        except PatternError:
            pass
        except Exception as exc:
            tally.crash("emulated", exc, line)
        probe = _probe_for(rule)
        for reply in _replies(rule):
            tally.replies += 1
            try:
                outcome = self.guard.first_match([rule], reply)
                if outcome.found is not None:
                    tally.matched += 1
                    verdict_from(outcome.found, probe)
            except Exception as exc:
                tally.crash("match", exc, line)
                break
        if tally.rules % self.lint_every == 0:
            try:
                check_rules(ProbeFile(NAME, [probe], None, []))
            except Exception as exc:
                tally.crash("lint", exc, line)
        try:
            back = pickle.loads(pickle.dumps(rule, protocol=pickle.HIGHEST_PROTOCOL))
            if back.translation != rule.translation or back.pattern != rule.pattern:
                raise AssertionError("the rule changed in a pickle round trip")
        except Exception as exc:
            tally.crash("pickle", exc, line)


def run(seeds: Sequence[str], count: int, seed: int, lint_every: int = 1) -> Tally:
    """Check ``count`` mutated lines (``seed`` makes the run repeatable)."""
    tally = Tally()
    checker = Checker(tally, lint_every=lint_every)
    chunk: list[str] = []
    for line in mutations(seeds, count, seed):
        chunk.append(line)
        if len(chunk) == BATCH:
            checker.check(chunk)
            chunk = []
    if chunk:
        checker.check(chunk)
    return tally


def report(tally: Tally) -> str:
    """The counts, and one sample line per kind of crash."""
    out = [
        f"lines {tally.lines}: accepted {tally.accepted}, refused {tally.refused}; "
        f"rules run {tally.rules} on {tally.replies} replies ({tally.matched} matched); "
        f"crashes {tally.crash_count}"
    ]
    for key, n in tally.crashes.most_common():
        c = tally.samples[key]
        out.append(f"  {key}: {n}  ({c.message})")
        out.append(f"    at {c.where}")
        out.append(f"    line: {c.line[:300]!r}")
    return "\n".join(out)
