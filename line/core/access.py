"""Who may call the line's servers (issue #14, "Closed by default"; docs/privacy.md).

The Rasa HTTP API reads and rewrites every conversation, so it always takes a token:
RASA_TOKEN, or one made per `make run` and kept in a file only this user can read,
where the console and the evaluation tools started beside it find it. The action
server runs the line's code on any tracker it is sent, so it answers Rasa only: a
caller must show the shared secret, or, when none is set, call from this machine.

    python -m line.core.access bind            # the address make run binds
    python -m line.core.access new-rasa-token  # RASA_TOKEN, or a fresh one in the file
    python -m line.core.access rasa-token      # the token a tool should send
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import sys
from pathlib import Path
from typing import Callable, Optional

from line.core import settings as config

# The header that carries the action server's secret; endpoints.production.yml names it too.
ACTION_TOKEN_HEADER = "X-Line-Action-Token"


def rasa_token() -> str:
    """The token for the Rasa HTTP API: RASA_TOKEN, else this run's file, else none."""
    cfg = config.settings
    if cfg.rasa_token:
        return cfg.rasa_token
    try:
        return cfg.rasa_token_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def new_rasa_token() -> str:
    """RASA_TOKEN when set; otherwise a fresh token written (mode 600) for this run."""
    cfg = config.settings
    if cfg.rasa_token:
        return cfg.rasa_token
    token = secrets.token_urlsafe(24)
    path = cfg.rasa_token_file
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file left by an earlier run keeps its own mode otherwise
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(token + "\n")
    return token


def kept_secret(path: Path, make: Callable[[], str]) -> str:
    """The secret in `path`, made with `make` and written (mode 600) the first time;
    of two processes starting together, both read the one that was written first."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as out:
                out.write(make())
    return path.read_text().strip()


def action_call_allowed(peer: Optional[str], presented: Optional[str]) -> bool:
    """Whether the action server may answer a caller at address `peer` that sent
    `presented` in ACTION_TOKEN_HEADER."""
    secret = config.settings.action_server_token
    if secret:
        return hmac.compare_digest((presented or "").encode(), secret.encode())
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        return False
    # A server listening on "::" sees 127.0.0.1 as ::ffff:127.0.0.1.
    return (getattr(address, "ipv4_mapped", None) or address).is_loopback


COMMANDS = {
    "bind": lambda: config.settings.bind_host,
    "new-rasa-token": new_rasa_token,
    "rasa-token": rasa_token,
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in COMMANDS:
        print(f"usage: python -m line.core.access {{{','.join(COMMANDS)}}}", file=sys.stderr)
        return 2
    print(COMMANDS[argv[0]]())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
