"""Directory maintenance for the team that keeps the data:

    python -m line.directory.cli import FILE     check a CSV and apply it (all or nothing)
    python -m line.directory.cli export [FILE]   write every service as CSV (default: screen)
    python -m line.directory.cli stale           list entries to re-check
    python -m line.directory.cli load-sample     fill an empty directory with sample data

Exit codes: 0 done, 1 invalid input (nothing changed), 2 database unreachable.
Every command first brings the database schema up to date.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Optional, Sequence

from line.core.db import DatabaseUnavailable, migrate
from line.directory import store


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        """Usage mistakes are invalid input (1); 2 is kept for an unreachable database."""
        self.print_usage(sys.stderr)
        self.exit(1, f"error: {message}\n")


def _import(path: str) -> int:
    try:
        report = store.import_csv(path)
    except OSError as exc:
        print(f"Cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if report.errors:
        for error in report.errors:
            print(error, file=sys.stderr)
        print(
            f"\nNothing was imported: {len(report.errors)} problem(s) found in {path}. "
            "Fix them and import the file again.",
            file=sys.stderr,
        )
        return 1
    print(
        f"Imported {path}: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged. Services not in the file were kept."
    )
    return 0


def _export(path: Optional[str]) -> int:
    try:
        count = store.export_csv(path or sys.stdout)
    except OSError as exc:
        print(f"Cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Exported {count} services{f' to {path}' if path else ''}.", file=sys.stderr)
    return 0


def _stale() -> int:
    today = date.today()
    services = store.stale(today)
    for s in services:
        if s.valid_until and s.valid_until < today:
            why = f"expired on {s.valid_until.isoformat()}"
        elif s.last_verified:
            why = f"last verified {s.last_verified.isoformat()}"
        else:
            why = "never verified"
        print(f"{s.region} | {s.category} | {s.name} | {s.address} | {why}")
    print(f"{len(services)} service(s) to re-check.", file=sys.stderr)
    return 0


def _load_sample() -> int:
    loaded = store.ensure_sample_data()
    print(
        f"Loaded {loaded} SAMPLE services (marked is_sample, not real data)."
        if loaded
        else "The directory already has services; sample data not loaded."
    )
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _Parser(
        prog="python -m line.directory.cli", description="Maintain the service directory."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("import", help="check a CSV file and apply it").add_argument("file")
    commands.add_parser("export", help="write all services as CSV").add_argument("file", nargs="?")
    commands.add_parser("stale", help="list expired or long unverified entries")
    commands.add_parser("load-sample", help="load sample data into an empty directory")
    args = parser.parse_args(argv)
    try:
        migrate()
        if args.command == "import":
            return _import(args.file)
        if args.command == "export":
            return _export(args.file)
        if args.command == "stale":
            return _stale()
        return _load_sample()
    except DatabaseUnavailable as exc:
        print(
            f"Cannot reach the directory database. Check DIRECTORY_DB_URL and that the "
            f"database is running.\n({exc})",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
