"""Renders deploy/nginx.conf.template into a complete nginx.conf for `make run-production`.

The same template serves the nginx container (its envsubst fills ${NAME}), so only
${NAME} placeholders are ours; nginx's own `$host` and the like are left alone.

    python -m deploy.nginx OUT_DIR LISTEN_PORT [--gateway HOST:PORT] HOST:PORT [HOST:PORT ...]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Dict, Sequence

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
# Where /webhooks/whatsapp/ goes: the WhatsApp gateway of make run (WHATSAPP_GATEWAY_PORT).
GATEWAY = "127.0.0.1:5007"

# An unprivileged nginx needs every path it writes under its own prefix.
MAIN = """\
worker_processes 1;
pid {out}/nginx.pid;
error_log {out}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {out}/body;
    proxy_temp_path {out}/proxy;
    fastcgi_temp_path {out}/fastcgi;
    uwsgi_temp_path {out}/uwsgi;
    scgi_temp_path {out}/scgi;
{site}
}}
"""


def fill(template: str, values: Dict[str, str]) -> str:
    """${NAME} from values; a missing one is an error, not an empty string in nginx.conf."""
    missing = sorted(set(PLACEHOLDER.findall(template)) - set(values))
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def site(
    listen_port: int, upstreams: Sequence[str], gateway: str = GATEWAY, template: str = None
) -> str:
    if not upstreams:
        raise ValueError("at least one Rasa instance is needed")
    servers = " ".join(f"server {address};" for address in upstreams)
    return fill(
        template or TEMPLATE.read_text(),
        {
            "NGINX_PORT": str(listen_port),
            "RASA_SERVERS": servers,
            "WHATSAPP_GATEWAY_SERVERS": f"server {gateway};",
        },
    )


def main_config(
    out_dir: Path, listen_port: int, upstreams: Sequence[str], gateway: str = GATEWAY
) -> str:
    body = "\n".join(
        "    " + line if line else line
        for line in site(listen_port, upstreams, gateway).splitlines()
    )
    return MAIN.format(out=out_dir.resolve(), site=body)


def main(argv: Sequence[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("port", type=int)
    parser.add_argument("upstreams", nargs="+", metavar="HOST:PORT")
    parser.add_argument("--gateway", default=GATEWAY, metavar="HOST:PORT")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "nginx.conf").write_text(
        main_config(args.out_dir, args.port, args.upstreams, args.gateway)
    )


if __name__ == "__main__":
    main()
