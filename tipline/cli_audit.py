"""``tipline audit verify|head``: check the audit chain, print its head for an external anchor.

``verify`` exits 0 with a one-line summary when the chain is intact, 1 naming the first bad
row (and listing the others) when it is not. ``head`` prints ``SEQ:HASH``: write it somewhere
the database's administrators cannot reach (a ticket, a signed email, paper), and later
``verify --anchor SEQ:HASH`` proves the log up to there was neither rewritten nor truncated.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tipline import logs
from tipline.db import make_engine
from tipline.settings import Settings, load_settings


def _settings() -> Settings:
    settings = load_settings()
    logs.configure(settings.log_level)
    return settings.require_triage()


def cmd_audit(args: argparse.Namespace) -> int:
    from triage.audit import triage_sessions
    from triage.audit_verify import Anchor, AnchorError, head, verify

    anchor = None
    if args.action == "verify" and args.anchor:
        try:
            anchor = Anchor.parse(args.anchor)
        except AnchorError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    elif args.anchor:
        print("error: --anchor goes with `tipline audit verify`", file=sys.stderr)
        return 2
    settings = _settings()
    assert settings.audit_key
    engine = make_engine(settings.triage_database_url or "")
    try:
        with triage_sessions(engine, settings)() as session:
            if args.action == "head":
                found = head(session)
                if found is None:
                    print("the audit log is empty (no head yet)")
                    return 0
                print(f"{found[0]}:{found[1]}")
                return 0
            report = verify(session, settings.audit_key, anchor)
    finally:
        engine.dispose()
    if report.ok:
        print(report.summary())
        return 0
    print(report.summary(), file=sys.stderr)
    for problem in report.problems[1:]:
        print(f"  also: {problem}", file=sys.stderr)
    return 1


def add_commands(sub: Any) -> None:
    """Register ``tipline audit`` on the main parser's subparsers."""
    audit = sub.add_parser(
        "audit",
        help="check the hash-chained audit log",
        description="verify: check every audit event and the chain's head; "
        "head: print SEQ:HASH to record as an external anchor",
    )
    audit.set_defaults(handler=cmd_audit)
    audit.add_argument("action", choices=["verify", "head"])
    audit.add_argument(
        "--anchor", default="", help="SEQ:HASH printed earlier by `tipline audit head`"
    )
