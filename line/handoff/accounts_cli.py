"""Console accounts from the command line (`make operator-add`):

    python -m line.handoff.accounts_cli add USERNAME [operator|coordinator]

At a terminal the password is asked twice and never echoed; otherwise (scripts)
it is the first line of standard input, so it never appears in argv or history.
Exit codes: 0 created, 1 invalid input, 2 database unreachable.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Optional, Sequence

from line.core.db import DatabaseUnavailable, migrate
from line.handoff import accounts

PROBLEMS = {
    "bad_username": "the username must be 2-32 characters: lowercase letters, digits, . _ -",
    "bad_role": f"the role must be one of: {', '.join(accounts.ROLES)}",
    "short_password": f"the password needs at least {accounts.MIN_PASSWORD_LENGTH} characters",
    "username_taken": "an account with that username already exists",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        """Usage mistakes are invalid input (1); 2 is kept for an unreachable database."""
        self.print_usage(sys.stderr)
        self.exit(1, f"error: {message}\n")


def _password() -> Optional[str]:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat the password: "):
            print("The passwords do not match; nothing was created.", file=sys.stderr)
            return None
        return first
    return sys.stdin.readline().rstrip("\r\n")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _Parser(prog="python -m line.handoff.accounts_cli")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create a console account")
    add.add_argument("username")
    add.add_argument("role", nargs="?", default="operator", choices=accounts.ROLES)
    args = parser.parse_args(argv)
    try:
        migrate()
        password = _password()
        if password is None:
            return 1
        created = accounts.create(args.username, password, args.role)
    except accounts.AccountError as exc:
        print(f"Not created: {PROBLEMS.get(exc.code, exc.code)}.", file=sys.stderr)
        return 1
    except DatabaseUnavailable as exc:
        print(f"Not created: {exc}", file=sys.stderr)
        return 2
    print(f"Created {created['role']} account '{created['username']}'.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
