"""The real servers, as processes: the action server and Rasa with the trained model,
started from the project root on free ports, each logging to a file of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import requests
import yaml

from tests.support.requirements import MODEL, ROOT

RASA = Path(sys.executable).parent / "rasa"
START_TIMEOUT = 240
# Operators always answer, so a handoff tells the queue position whatever the hour.
ALWAYS_OPEN = {"LINE_OPERATOR_DAYS": "0-6", "LINE_OPERATOR_OPEN": "0", "LINE_OPERATOR_CLOSE": "24"}
# Test servers run closed, as make run starts them: Rasa's HTTP API takes this token (the
# REST channel does not), and the action server answers loopback callers only, unless a
# test starts it with ACTION_SERVER_TOKEN=ACTION_SECRET (endpoints.production.yml sends it).
TOKEN = f"test-{uuid.uuid4().hex}"
AUTH = {"token": TOKEN}
ACTION_SECRET = f"test-{uuid.uuid4().hex}"


def environment(**values: str) -> dict:
    """This process's environment with the line's settings for a test server."""
    closed = {"RASA_TOKEN": TOKEN, "ACTION_SERVER_TOKEN": ""}
    return {**os.environ, **ALWAYS_OPEN, **closed, **values}


def load_sample(env: dict) -> None:
    """The sample directory in the database `env` points at (make db)."""
    subprocess.run(
        [sys.executable, "-m", "line.directory.cli", "load-sample"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def write_endpoints(path: Path, actions_port: int, tracker_db: Path) -> Path:
    """endpoints.yml itself, with the actions on a local port and the conversations in a
    SQLite file of the test's own."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    endpoints["tracker_store"]["db"] = str(tracker_db)
    path.write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    return path


def prepare(
    work: Path, db_url: str, actions_port: int, sample_db: Optional[str] = None, **settings: str
) -> tuple[dict, Path]:
    """A test line in `work` as endpoints.yml sets it up: the environment (the line's
    database `db_url`, conversations in work/tracker.db, `settings`), the sample directory
    loaded (into `sample_db` when the servers reach the database another way), and the
    endpoints file (actions on `actions_port`)."""
    tracker_db = work / "tracker.db"
    env = environment(DIRECTORY_DB_URL=db_url, TRACKER_DB_URL=f"sqlite:///{tracker_db}", **settings)
    load_sample({**env, "DIRECTORY_DB_URL": sample_db or db_url})
    return env, write_endpoints(work / "endpoints.yml", actions_port, tracker_db)


def wait_for(url: str, process: subprocess.Popen, log: Path, params: Optional[dict] = None) -> None:
    """Polls `url` until it answers, the process dies or START_TIMEOUT passes."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, params=params, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} did not start in {START_TIMEOUT}s:\n{log.read_text()[-3000:]}")


def launch(name: str, args: list, env: dict, work: Path) -> subprocess.Popen:
    """`rasa <args>` from the project root, logging to work/<name>.log."""
    return subprocess.Popen(
        [str(RASA), *args],
        cwd=ROOT,
        env=env,
        stdout=(work / f"{name}.log").open("a"),
        stderr=subprocess.STDOUT,
    )


def start(
    name: str, args: list, health: str, env: dict, work: Path, params: Optional[dict] = None
) -> subprocess.Popen:
    """`launch`, returning once `health` answers."""
    process = launch(name, args, env, work)
    try:
        wait_for(health, process, work / f"{name}.log", params)
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


def rasa_args(port: int, endpoints: Path, model: Path = MODEL) -> list:
    return [
        "run",
        "--enable-api",
        "--auth-token",
        TOKEN,
        "--port",
        str(port),
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(ROOT / "credentials.yml"),
    ]


def start_actions(port: int, env: dict, work: Path) -> subprocess.Popen:
    return start(
        "actions",
        ["run", "actions", "--actions", "actions", "--port", str(port)],
        f"http://127.0.0.1:{port}/health",
        env,
        work,
    )


def start_rasa(
    port: int, endpoints: Path, env: dict, work: Path, name: str = "rasa", model: Path = MODEL
) -> subprocess.Popen:
    return start(
        name, rasa_args(port, endpoints, model), f"http://127.0.0.1:{port}/status", env, work, AUTH
    )


@contextmanager
def serving(
    env: dict, work: Path, actions_port: int, rasa_port: int, endpoints: Path, model: Path = MODEL
):
    """The action server, then Rasa with the trained model (or `model`); both stopped on
    the way out."""
    actions = start_actions(actions_port, env, work)
    try:
        rasa = start_rasa(rasa_port, endpoints, env, work, model=model)
        try:
            yield f"http://127.0.0.1:{rasa_port}"
        finally:
            stop(rasa)
    finally:
        stop(actions)


class Conversation:
    """One person writing to the line over the REST channel."""

    def __init__(self, url: str):
        self.url = url
        self.sender = f"test-{uuid.uuid4().hex[:12]}"

    def say(self, text: str) -> list[dict]:
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def tracker(self) -> dict:
        response = requests.get(
            f"{self.url}/conversations/{self.sender}/tracker", params=AUTH, timeout=30
        )
        response.raise_for_status()
        return response.json()

    def actions(self) -> list[str]:
        return [e["name"] for e in self.tracker()["events"] if e["event"] == "action"]

    def utters(self) -> list[str]:
        return [
            (e.get("metadata") or {}).get("utter_action")
            for e in self.tracker()["events"]
            if e["event"] == "bot"
        ]


def bot_texts(reply: list) -> list:
    return [message.get("text") for message in reply]
