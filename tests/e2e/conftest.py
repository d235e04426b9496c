"""A real Rasa server and action server, with the trained model, for end-to-end tests.

Started once per test session on free ports with a throwaway database; skipped
(with the reason) only when no trained model exists yet.
"""
import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "line.tar.gz"
RASA = Path(sys.executable).parent / "rasa"
START_TIMEOUT = 240


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} did not start in {START_TIMEOUT}s:\n{log.read_text()[-3000:]}")


def start(name: str, args: list, health: str, env: dict, work: Path) -> subprocess.Popen:
    """`rasa <args>` from the project root, logging to work/<name>.log, once `health` answers."""
    log = work / f"{name}.log"
    process = subprocess.Popen([str(RASA), *args], cwd=ROOT, env=env,
                               stdout=log.open("a"), stderr=subprocess.STDOUT)
    try:
        wait_for(health, process, log)
    except BaseException:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serving(env: dict, work: Path, actions_port: int, rasa_port: int, endpoints: Path):
    """The action server, then Rasa with the trained model; both stopped on the way out."""
    actions = start("actions", actions_args(actions_port),
                    f"http://127.0.0.1:{actions_port}/health", env, work)
    try:
        rasa = start("rasa", rasa_args(rasa_port, endpoints),
                     f"http://127.0.0.1:{rasa_port}/status", env, work)
        try:
            yield f"http://127.0.0.1:{rasa_port}"
        finally:
            stop(rasa)
    finally:
        stop(actions)


def actions_args(port: int) -> list:
    return ["run", "actions", "--actions", "actions", "--port", str(port)]


def rasa_args(port: int, endpoints: Path) -> list:
    return ["run", "--enable-api", "--port", str(port), "--model", str(MODEL),
            "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml")]


@pytest.fixture(scope="session")
def rasa_server(tmp_path_factory):
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL}: run `make train` first")
    work = tmp_path_factory.mktemp("e2e")
    rasa_port, actions_port = free_port(), free_port()
    endpoints = work / "endpoints.yml"
    tracker_db = work / "tracker.db"
    # Like endpoints.yml: conversations in a SQL tracker store, which reports and
    # erasures read and write.
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
                         f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n'
                         f'  db: "{tracker_db}"\n')
    db_url = f"sqlite:///{work / 'line.db'}"
    env = {**os.environ, "DIRECTORY_DB_URL": db_url, "TRACKER_DB_URL": f"sqlite:///{tracker_db}",
           "LINE_ERASURE_GRACE": "1",
           "LINE_OPERATOR_DAYS": "0-6", "LINE_OPERATOR_OPEN": "0", "LINE_OPERATOR_CLOSE": "24"}
    subprocess.run([sys.executable, "-m", "line.directory_cli", "load-sample"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    with serving(env, work, actions_port, rasa_port, endpoints) as url:
        yield SimpleNamespace(url=url, db_url=db_url, tracker_db_url=f"sqlite:///{tracker_db}")


class Conversation:
    """One person writing to the line over the REST channel."""

    def __init__(self, url: str):
        self.url = url
        self.sender = f"test-{uuid.uuid4().hex[:12]}"

    def say(self, text: str) -> list[dict]:
        response = requests.post(f"{self.url}/webhooks/rest/webhook",
                                 json={"sender": self.sender, "message": text}, timeout=60)
        response.raise_for_status()
        return response.json()

    def tracker(self) -> dict:
        response = requests.get(f"{self.url}/conversations/{self.sender}/tracker", timeout=30)
        response.raise_for_status()
        return response.json()

    def actions(self) -> list[str]:
        return [e["name"] for e in self.tracker()["events"] if e["event"] == "action"]

    def utters(self) -> list[str]:
        return [(e.get("metadata") or {}).get("utter_action") for e in self.tracker()["events"]
                if e["event"] == "bot"]


@pytest.fixture
def person(rasa_server):
    return Conversation(rasa_server.url)
