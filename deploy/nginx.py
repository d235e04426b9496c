"""Renders deploy/nginx.conf.template into a complete nginx.conf for `make run-production`.

The same template serves the nginx container (its envsubst fills ${NAME}), so only
${NAME} placeholders are ours; nginx's own `$host` and the like are left alone.

    python -m deploy.nginx OUT_DIR LISTEN_PORT HOST:PORT [HOST:PORT ...]
"""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Dict, Sequence

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")

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


def site(listen_port: int, upstreams: Sequence[str], template: str = None) -> str:
    if not upstreams:
        raise ValueError("at least one Rasa instance is needed")
    servers = " ".join(f"server {address};" for address in upstreams)
    return fill(template or TEMPLATE.read_text(),
                {"NGINX_PORT": str(listen_port), "RASA_SERVERS": servers})


def main_config(out_dir: Path, listen_port: int, upstreams: Sequence[str]) -> str:
    body = "\n".join("    " + line if line else line
                     for line in site(listen_port, upstreams).splitlines())
    return MAIN.format(out=out_dir.resolve(), site=body)


def main(argv: Sequence[str]) -> None:
    out_dir, port, upstreams = Path(argv[0]), int(argv[1]), argv[2:]
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "nginx.conf").write_text(main_config(out_dir, port, upstreams))


if __name__ == "__main__":
    main(sys.argv[1:])
