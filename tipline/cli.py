"""The ``tipline`` command. The one module that knows both services exist.

Each subcommand imports only the side it runs, so ``tipline portal`` on a DMZ host never
imports ``triage`` (and needs none of its settings, keys or database).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from tipline import cli_audit, cli_directory, logs
from tipline import keys as unit_keys
from tipline.settings import Settings, SettingsError, load_settings


def _settings() -> Settings:
    settings = load_settings()
    logs.configure(settings.log_level)
    return settings


def cmd_run(args: argparse.Namespace) -> int:
    from tipline.supervisor import Supervisor

    return Supervisor(_settings()).run()


def cmd_portal(args: argparse.Namespace) -> int:
    from portal import create_app
    from tipline.webserver import serve

    settings = _settings().require_portal()
    serve(lambda: create_app(settings), settings.portal_host, settings.portal_port, settings)
    return 0


def cmd_triage_web(args: argparse.Namespace) -> int:
    from tipline.webserver import serve
    from triage import create_app

    settings = _settings().require_triage()
    serve(lambda: create_app(settings), settings.triage_host, settings.triage_port, settings)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.kind == "intake":
        from triage import worker as intake_worker

        intake_worker.run(settings.require_triage(), burst=args.burst)
    else:
        from portal import worker as portal_worker

        portal_worker.run(settings.require_portal(), burst=args.burst)
    return 0


def _key_dirs(settings: Settings) -> tuple[Path, Path]:
    if settings.public_key_dir is None or settings.private_key_dir is None:
        raise SettingsError("TIPLINE_PUBLIC_KEY_DIR and TIPLINE_PRIVATE_KEY_DIR must both be set")
    return settings.public_key_dir, settings.private_key_dir


def cmd_keys(args: argparse.Namespace) -> int:
    settings = _settings()
    public_dir, private_dir = _key_dirs(settings)
    if args.action == "list":
        live = unit_keys.load_private_keys(private_dir)
        public = unit_keys.load_public_keys(public_dir)
        if not public and not live:
            print("no unit keys; run `tipline keys generate`")
            return 0
        newest = public[-1].key_id if public else None
        ids = {k.key_id: k for k in public} | {k: v.public for k, v in live.items()}
        for key_id, pub in sorted(ids.items(), key=lambda kv: kv[1].created_at):
            marks = []
            if key_id == newest:
                marks.append("sealing")
            if key_id in live:
                marks.append("can open")
            print(f"{key_id}  {pub.created_at:%Y-%m-%d %H:%M}Z  {', '.join(marks) or 'retired'}")
        return 0
    if args.action == "generate" and unit_keys.load_public_keys(public_dir) and not args.force:
        print("a unit key already exists; use `tipline keys rotate` to add a newer one")
        return 1
    suite = unit_keys.SuiteId.from_label(args.suite)
    key = unit_keys.generate(suite)
    unit_keys.save(key, public_dir, private_dir)
    print(f"created {key.key_id}; the portal now seals new reports to it")
    print(f"  public:  {public_dir / (key.key_id + '.pub')}  (copy to the portal host)")
    print(f"  private: {private_dir / (key.key_id + '.key')}  (triage host only; keep old ones)")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from tipline import schema_migrations

    settings = _settings()
    sides = schema_migrations.SIDES if args.side == "both" else (args.side,)
    for side in sides:
        url = settings.portal_database_url if side == "portal" else settings.triage_database_url
        if not url:
            raise SettingsError(f"{side.upper()}_DATABASE_URL is not set")
        schema_migrations.upgrade(side, url)
        print(f"{side} database is at the latest revision")
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (12 characters or more): ")
    if first != getpass.getpass("Repeat the password: "):
        raise SystemExit("the passwords do not match")
    return first


def cmd_officer(args: argparse.Namespace) -> int:
    from tipline.db import make_engine, transaction
    from triage.audit import triage_sessions
    from triage.officers import OfficerError, add_officer

    settings = _settings().require_triage()
    password = _read_password(args.password_stdin)
    engine = make_engine(settings.triage_database_url or "")
    try:
        with transaction(triage_sessions(engine, settings)) as session:
            officer = add_officer(
                session,
                args.username,
                password,
                args.role,
                memory_kib=settings.password_argon2_memory_kib,
            )
            print(f"added {officer.username} ({officer.role})")
    except OfficerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from tipline.db import make_engine
    from triage import scheduler
    from triage.audit import triage_sessions

    settings = _settings().require_triage()
    now = None
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
        except ValueError:
            print(f"error: --now {args.now!r} is not an ISO 8601 time", file=sys.stderr)
            return 2
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    engine = make_engine(settings.triage_database_url or "")
    try:
        summary = scheduler.tick(triage_sessions(engine, settings), settings, now)
    finally:
        engine.dispose()
    print(" ".join(f"{name}={count}" for name, count in summary.items()))
    return 1 if scheduler.STEP_FAILED in summary.values() else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tipline", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add(
        name: str, handler: Callable[[argparse.Namespace], int], text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=text, description=text)
        p.set_defaults(handler=handler)
        return p

    add("run", cmd_run, "development: start Redis (if needed), both apps and both workers")
    add("portal", cmd_portal, "serve the public portal with gunicorn")
    add("triage-web", cmd_triage_web, "serve the officers' app with gunicorn")
    worker = add("worker", cmd_worker, "run a queue worker")
    worker.add_argument("kind", choices=["intake", "portal"])
    worker.add_argument("--burst", action="store_true", help="drain the queue, then exit")
    key_cmd = add("keys", cmd_keys, "manage the unit's envelope keys")
    key_cmd.add_argument("action", choices=["generate", "rotate", "list"])
    key_cmd.add_argument(
        "--suite", default="mlkem768-x25519", choices=["mlkem768-x25519", "x25519"]
    )
    key_cmd.add_argument("--force", action="store_true", help="generate even if a key exists")
    db = add("db", cmd_db, "database migrations")
    db.add_argument("action", choices=["upgrade"])
    db.add_argument("--side", default="both", choices=["both", "portal", "triage"])
    officer = add("officer", cmd_officer, "manage officer accounts")
    officer.add_argument("action", choices=["add"])
    officer.add_argument("username")
    officer.add_argument("--role", required=True, choices=["officer", "supervisor", "admin"])
    officer.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    sched = add("scheduler", cmd_scheduler, "run the triage clock (SLA, paging, retries) once")
    sched.add_argument("action", choices=["tick"])
    sched.add_argument("--now", help="as of this ISO 8601 time (UTC if no offset); default: now")
    cli_directory.add_commands(sub)
    cli_audit.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except unit_keys.KeyProblem as exc:
        print(f"key error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
