"""``tipline org|unit|route|directory``: the unit's directory from the command line.

Thin wrappers over ``triage.directory_admin`` / ``triage.directory_file``: the same rules and
errors as the officers' admin screens. Every change is published to the portal at once (the
intake worker also re-publishes periodically), so the public forms see it within seconds.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tipline import logs
from tipline.db import make_engine, transaction
from tipline.settings import Settings, load_settings


def _settings() -> Settings:
    settings = load_settings()
    logs.configure(settings.log_level)
    return settings.require_triage()


@contextmanager
def _session(publish: bool) -> Iterator[Session]:
    """A transaction on the triage database; publishes the directory after a change."""
    from redis import Redis

    from triage.audit import triage_sessions
    from triage.publishing import publish_directory

    settings = _settings()
    engine = make_engine(settings.triage_database_url or "")
    sessions = triage_sessions(engine, settings)
    try:
        with transaction(sessions) as session:
            yield session
        if publish:
            with transaction(sessions) as session:
                redis = Redis.from_url(settings.redis_url or "")
                try:
                    publish_directory(session, redis)
                except Exception as exc:  # the worker re-publishes; say so, don't fail
                    print(
                        f"note: not published yet ({exc.__class__.__name__}); the intake "
                        "worker publishes it within minutes",
                        file=sys.stderr,
                    )
                finally:
                    redis.close()
    finally:
        engine.dispose()


def _run(action: Callable[[Session], Any], publish: bool = True) -> int:
    from triage.directory_admin import DirectoryError

    try:
        with _session(publish) as session:
            action(session)
    except DirectoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_org(args: argparse.Namespace) -> int:
    from triage import directory_admin as admin

    settings = load_settings()
    if args.action == "list":

        def show(session: Session) -> None:
            for org in admin.list_organizations(session):
                parent = f" (in {org.parent_id})" if getattr(org, "parent_id", None) else ""
                print(f"{org.id}  {org.kind:<9} {org.name}{parent}")

        return _run(show, publish=False)
    if args.action == "add":
        if not args.name:
            print("error: `tipline org add SLUG NAME`", file=sys.stderr)
            return 2
        return _run(
            lambda s: admin.add_organization(s, args.slug, args.name, args.kind, args.parent)
        )
    if args.action == "link":

        def link(session: Session) -> None:
            token = admin.issue_referral_token(session, args.slug)
            print("Referral link (shown once; send it to the organization):")
            print(f"  {settings.portal_url}/refer/{token}")

        return _run(link)

    def revoke(session: Session) -> None:
        print(f"revoked {admin.revoke_referral_tokens(session, args.slug)} link(s)")

    return _run(revoke)


def cmd_unit(args: argparse.Namespace) -> int:
    from triage import directory_admin as admin

    if args.action == "list":

        def show(session: Session) -> None:
            for unit in admin.list_units(session):
                mark = "  (default)" if unit.is_default else ""
                print(f"{unit.slug}  {unit.name}{mark}")

        return _run(show, publish=False)
    if args.action == "add":
        return _run(lambda s: admin.add_unit(s, args.slug, args.name or args.slug))
    if args.action == "contact":
        if not (args.name and args.channel and args.address):
            print(
                "error: `tipline unit contact SLUG NAME --channel C --address A`", file=sys.stderr
            )
            return 2
        return _run(
            lambda s: admin.add_unit_contact(s, args.slug, args.name, args.channel, args.address)
        )
    return _run(lambda s: admin.move_officer(s, args.name, args.slug))


def cmd_route(args: argparse.Namespace) -> int:
    from triage import directory_admin as admin

    if args.action == "list":

        def show(session: Session) -> None:
            for rule in admin.list_routes(session):
                state = "" if rule.active else "  (inactive)"
                target = f"unit {rule.unit.slug}{state}"
                print(f"{rule.position:>3}. {rule.kind} = {rule.match} -> {target}")

        return _run(show, publish=False)
    return _run(lambda s: admin.add_route(s, args.kind, args.match, args.unit))


def cmd_directory(args: argparse.Namespace) -> int:
    from triage.directory_file import export_config, import_config

    if args.action == "export":

        def export(session: Session) -> None:
            text = export_config(session)
            if args.file:
                Path(args.file).write_text(text)
                print(f"wrote {args.file}")
            else:
                sys.stdout.write(text)

        return _run(export, publish=False)
    if not args.file:
        print("error: `tipline directory import FILE`", file=sys.stderr)
        return 2
    text = Path(args.file).read_text()
    return _run(lambda s: print(import_config(s, text)))


def add_commands(sub: Any) -> None:
    """Register the directory subcommands on the main parser's subparsers."""
    org = sub.add_parser("org", help="organizations (schools, employers, agencies)")
    org.set_defaults(handler=cmd_org)
    org.add_argument("action", choices=["add", "list", "link", "revoke"])
    org.add_argument("slug", nargs="?", default="")
    org.add_argument("name", nargs="?", default="")
    org.add_argument("--kind", default="school")
    org.add_argument("--parent", default=None)

    unit = sub.add_parser("unit", help="units, their on-call contacts and officers")
    unit.set_defaults(handler=cmd_unit)
    unit.add_argument("action", choices=["add", "list", "contact", "member"])
    unit.add_argument("slug", nargs="?", default="")
    unit.add_argument("name", nargs="?", default="", help="unit name, contact name, or username")
    unit.add_argument("--channel", choices=["email", "webhook", "phone"])
    unit.add_argument("--address")

    route = sub.add_parser("route", help="routing rules (first match wins)")
    route.set_defaults(handler=cmd_route)
    route.add_argument("action", choices=["add", "list"])
    route.add_argument("kind", nargs="?", choices=["organization", "place", "category"])
    route.add_argument("match", nargs="?", default="")
    route.add_argument("unit", nargs="?", default="")

    directory = sub.add_parser("directory", help="export or import units, organizations, routes")
    directory.set_defaults(handler=cmd_directory)
    directory.add_argument("action", choices=["export", "import"])
    directory.add_argument("file", nargs="?", default="")
