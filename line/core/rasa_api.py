"""A small client for the Rasa server's HTTP API (`rasa run --enable-api`).

Plain HTTP, no Rasa imports: the console reads conversations, records operator
replies and resumes the bot through it. Every failure becomes RasaUnavailable,
so callers can tell the operator and keep what they were doing.
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import quote

import requests

from line.core import access
from line.core import settings as config


class RasaUnavailable(RuntimeError):
    """The Rasa server did not answer, or refused the call (the reason says which)."""


# Rasa takes the conversation id from the raw path and never decodes %-escapes:
# every character a path may hold is sent as it is (pseudonyms, phone numbers,
# "+", ":", "@" reach the right tracker); only the rest has to be escaped.
PATH_SAFE = "/:@+!$&'()*,;="


def _call(
    method: str, sender_id: str, path: str, *, json=None, params: Optional[dict] = None
) -> dict:
    cfg = config.settings
    url = f"{cfg.rasa_url.rstrip('/')}/conversations/{quote(sender_id, safe=PATH_SAFE)}/{path}"
    params = dict(params or {})
    token = access.rasa_token()
    if token:
        params["token"] = token
    try:
        response = requests.request(
            method, url, json=json, params=params, timeout=cfg.rasa_timeout_seconds
        )
    except requests.RequestException as exc:
        raise RasaUnavailable(f"{cfg.rasa_url}: {type(exc).__name__}") from exc
    if response.status_code >= 400:
        raise RasaUnavailable(f"{cfg.rasa_url}: HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as exc:
        raise RasaUnavailable(f"{cfg.rasa_url}: not JSON") from exc


def tracker(sender_id: str) -> dict:
    return _call("GET", sender_id, "tracker")


def append_events(sender_id: str, events: list[dict]) -> None:
    """Record events without side effects: nothing is sent to the person."""
    _call("POST", sender_id, "tracker/events", json=events, params={"include_events": "NONE"})


def execute(sender_id: str, action: str) -> list[dict]:
    """Run a bot action on the person's latest channel. Returns the messages Rasa
    could not push itself (channels without push, like REST, collect them)."""
    body = _call(
        "POST",
        sender_id,
        "execute",
        json={"name": action},
        params={"output_channel": "latest", "include_events": "NONE"},
    )
    return list(body.get("messages") or [])


def _instance(method: str, url: str, path: str, timeout: float, json=None) -> requests.Response:
    token = access.rasa_token()
    try:
        response = requests.request(
            method,
            f"{url.rstrip('/')}/{path}",
            json=json,
            params={"token": token} if token else None,
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise RasaUnavailable(f"{url}: {type(exc).__name__}") from exc
    if response.status_code >= 400:
        raise RasaUnavailable(f"{url}: HTTP {response.status_code} {response.text[:200]}")
    return response


def load_model(url: str, model_file: str, timeout: float) -> None:
    """Make one Rasa instance serve another model (PUT /model). Rasa loads it beside the
    serving one and swaps when it is ready; requests that arrive meanwhile wait, none is
    dropped (docs/training.md, "Publishing")."""
    _instance("PUT", url, "model", timeout, json={"model_file": model_file})


def status(url: str) -> dict:
    """What one instance serves: `model_id` and `model_file` (GET /status)."""
    try:
        return _instance("GET", url, "status", config.settings.rasa_timeout_seconds).json()
    except ValueError as exc:
        raise RasaUnavailable(f"{url}: not JSON") from exc
