"""``fastprobe match`` and ``fastprobe rules lint|test``."""

from __future__ import annotations

import argparse
import binascii
import json
import os
import sys
from collections.abc import Sequence
from typing import Optional

from fastprobe.rules.escapes import EscapeError, unescape
from fastprobe.rules.guard import DEFAULT_TIMEOUT
from fastprobe.rules.model import ProbeFileError
from fastprobe.rules.ruleset import (
    EXCLUDE_MODES,
    RuleSet,
    default_overlays,
    display_path,
    load_rules,
)
from fastprobe.version import __version__


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


def _add_rule_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="FILE",
        help="extra overlay probe file, tried before the project's overlays (repeatable)",
    )
    p.add_argument(
        "--no-default-rules",
        action="store_true",
        help="do not load nmap's installed probe file and the project's overlays",
    )
    p.add_argument(
        "--exclude-mode",
        choices=EXCLUDE_MODES,
        default="keep",
        help="the base file's Exclude: keep it, replace it with the overlays' or drop it",
    )
    p.add_argument(
        "--regex-timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"time one pattern may spend on one reply (default {DEFAULT_TIMEOUT})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastprobe", description="Fast, nmap-compatible network service prober."
    )
    parser.add_argument("--version", action="version", version=f"fastprobe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    m = sub.add_parser("match", help="name the service behind one reply, as nmap would")
    m.add_argument("--probe", required=True, metavar="NAME", help="the probe the reply answers")
    m.add_argument("--protocol", default="TCP", type=str.upper, choices=("TCP", "UDP"))
    src = m.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--reply", metavar="TEXT", help=r"reply with nmap escapes (\r \n \0 \t \xHH \\)"
    )
    src.add_argument("--reply-hex", metavar="HEX", help="reply as hex digits")
    src.add_argument("--reply-file", metavar="FILE", help="reply read from a file ('-': stdin)")
    _add_rule_options(m)

    rules = sub.add_parser("rules", help="work with probe files")
    rsub = rules.add_subparsers(dest="rules_command", metavar="SUBCOMMAND")
    rsub.required = True
    lint = rsub.add_parser("lint", help="check probe files for errors and likely mistakes")
    lint.add_argument("files", nargs="+", metavar="FILE")
    lint.add_argument("--strict", action="store_true", help="warnings fail too")
    lint.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    lint.add_argument(
        "--no-default-rules",
        action="store_true",
        help="check the files alone, not against nmap's file and the project's overlays",
    )
    test = rsub.add_parser("test", help="run the example replies kept next to rules")
    test.add_argument("files", nargs="*", metavar="FILE", help="default: the project's overlays")
    test.add_argument("-v", "--verbose", action="store_true", help="also list passing examples")
    _add_rule_options(test)
    return parser


def _read_reply(args: argparse.Namespace) -> bytes:
    if args.reply is not None:
        try:
            return unescape(args.reply, "utf-8")
        except EscapeError as exc:
            raise CliError(f"--reply: {exc}") from None
    if args.reply_hex is not None:
        try:
            return binascii.unhexlify("".join(args.reply_hex.split()))
        except (binascii.Error, ValueError) as exc:
            raise CliError(f"--reply-hex: not hex digits ({exc})") from None
    if args.reply_file == "-":
        return sys.stdin.buffer.read()
    try:
        with open(args.reply_file, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise CliError(f"--reply-file {args.reply_file}: {exc.strerror or exc}") from None


def _load(args: argparse.Namespace, extra: Sequence[str] = ()) -> RuleSet:
    given = _unique(list(args.rules) + list(extra))
    if args.no_default_rules:
        if not given:
            raise CliError("--no-default-rules needs at least one --rules FILE")
        return load_rules(None, given, exclude=args.exclude_mode)
    project = [p for p in default_overlays() if _real(p) not in {_real(g) for g in given}]
    return load_rules("default", given + project, exclude=args.exclude_mode)


def _unique(paths: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for p in paths:
        if _real(p) not in seen:
            seen.add(_real(p))
            out.append(p)
    return out


def _real(path: str) -> str:
    return os.path.realpath(path)


def cmd_match(args: argparse.Namespace) -> int:
    from fastprobe.rules.matcher import Matcher

    reply = _read_reply(args)
    ruleset = _load(args)
    probe = ruleset.get(args.probe, args.protocol)
    if probe is None:
        raise CliError(f"--probe: no probe named {args.probe!r} in the loaded rules")
    result = Matcher(ruleset, timeout=args.regex_timeout).match(probe, reply)
    for loc in result.aborted:
        print(
            f"fastprobe: warning: {loc}: pattern ran out of time, counted as no match",
            file=sys.stderr,
        )
    out = result.verdict.as_dict() if result.verdict else {"service": None}
    print(json.dumps(out))
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from fastprobe.rules.lint import lint_files

    context = None
    if not args.no_default_rules:
        targets = {_real(f) for f in args.files}
        overlays = [p for p in default_overlays() if _real(p) not in targets]
        try:
            context = load_rules("default", overlays)
        except ProbeFileError as exc:
            print(f"fastprobe: warning: checking without context: {exc}", file=sys.stderr)
    issues = lint_files(args.files, context)
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = len(issues) - errors
    for issue in sorted(issues, key=lambda i: (i.file, i.line)):
        if issue.severity == "error" or not args.quiet:
            print(issue)
    print(f"{len(args.files)} file(s): {errors} error(s), {warnings} warning(s)")
    return 1 if errors or (args.strict and warnings) else 0


def cmd_test(args: argparse.Namespace) -> int:
    from fastprobe.rules.matcher import Matcher
    from fastprobe.rules.samples import run_examples

    files = args.files or default_overlays()
    if not files:
        raise CliError("no rule files given and the project has no overlay folder")
    for f in files:
        if not os.path.isfile(f):
            raise CliError(f"{f}: no such file")
    ruleset = _load(args, files)
    results = run_examples(
        Matcher(ruleset, timeout=args.regex_timeout), {display_path(f) for f in files}
    )
    failed = 0
    for r in results:
        if r.passed:
            if args.verbose:
                print(f"PASS {r.location} -> {r.rule.location}")
            continue
        failed += 1
        print(f"FAIL {r.location} (rule {r.rule.location})")
        if r.error:
            print(f"    {r.error}")
        for field, exp, got in r.differences:
            print(f"    {field}: expected {exp!r}, got {got!r}")
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "match":
            return cmd_match(args)
        if args.rules_command == "lint":
            return cmd_lint(args)
        return cmd_test(args)
    except (CliError, ProbeFileError) as exc:
        print(f"fastprobe: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fastprobe: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 141


if __name__ == "__main__":
    sys.exit(main())
