"""Model archives with only Rasa's metadata, and a Rasa instance that answers PUT /model
and GET /status the way Rasa 3.6 does."""

import io
import json
import tarfile
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from line.training import models
from tests.support.net import free_port, serve_http, stop_http


def archive(path: Path, model_id: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"model_id": model_id}).encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("metadata.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


class RasaInstance:
    """Loads the archive it is given (its id) and reports it; `refuse` answers 500."""

    def __init__(self):
        self.loaded: list[str] = []
        self.model_id = "old"
        self.refuse = False
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body=None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if fake.refuse or not self.path.startswith("/model"):
                    return self._reply(500, {"status": "failure"})
                fake.loaded.append(body["model_file"])
                fake.model_id = models.model_id(Path(body["model_file"]))
                self._reply(204)

            def do_GET(self):
                self._reply(200, {"model_id": fake.model_id, "model_file": "x"})

        self.handler = Handler

    def __enter__(self):
        self.server = serve_http(self.handler, self.port)
        return self

    def __exit__(self, *exc):
        stop_http(self.server)
