"""`reco rules`: merchandising rules, validated, versioned and promoted like runs.

    reco rules check FILE              validate a JSON/YAML rules file; every error names its line
    reco rules publish FILE            validate, write rules_YYYYMMDD_HHMMSS/ and promote it
    reco rules verify [DIR]            manifest and rules of a version
    reco rules promote DIR             atomic swap of rules_current (refused unless verified)
    reco rules rollback [--to DIR]     back to the previous version

A file that does not validate is refused before anything is written: the rules in force stay.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reco_core.cli._artifacts import add_artifact_root, add_promotion_log_args, artifact_root
from reco_core.cli._versioned import add_store_commands
from reco_core.rules.layout import RULES


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "rules",
        help="check, publish, verify, promote or roll back the merchandising rules",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", required=True)
    c = sub.add_parser("check", help="validate a rules file (JSON or YAML)")
    c.add_argument("file", type=Path)
    c.set_defaults(func=_check)
    pub = sub.add_parser("publish", help="validate a rules file, store it as a version and promote it")
    pub.add_argument("file", type=Path)
    pub.add_argument("--tag", help="suffix of the version's name (rules_YYYYMMDD_HHMMSS_TAG)")
    pub.add_argument("--no-promote", action="store_true", help="write the version without promoting it")
    add_artifact_root(pub)
    add_promotion_log_args(pub)
    pub.set_defaults(func=_publish)
    add_store_commands(sub, RULES, "rules")


def _check(args: argparse.Namespace) -> int:
    from reco_core.rules.model import read_rules_file

    rules, _ = read_rules_file(args.file)
    counts: dict[str, int] = {}
    for rule in rules.rules:
        counts[rule.action] = counts.get(rule.action, 0) + 1
    kinds = ", ".join(f"{n} {a}" for a, n in sorted(counts.items()))
    print(f"ok: {args.file}: {len(rules.rules)} rules ({kinds})")
    return 0


def _publish(args: argparse.Namespace) -> int:
    from reco_core.rules.versions import publish_rules

    version = publish_rules(
        artifact_root(args), args.file, tag=args.tag, promote_it=not args.no_promote, actor=args.actor
    )
    print(f"{version}: {'published and promoted' if not args.no_promote else 'written, not promoted'}")
    return 0
