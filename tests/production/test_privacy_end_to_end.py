"""Privacy end to end (issue #14): a conversation full of identifiers, with a handoff,
over REST (PostgreSQL tracker store, RabbitMQ, endpoints.production.yml: the `line`
fixture) and over WhatsApp (SQLite tracker store, the gateway, the fake Graph API:
`whatsapp_line`; Rasa logging at DEBUG), with the trained model and the real processes:
action server, Rasa, gateway, console, sweep, report and suggestions.

Each channel holds the same conversation twice: first a control person who is never
swept before the end, then the person under test. For the person under test:

- while the ticket waits, the queue shows no identifier; once the operator holds it, the
  console shows every one as written;
- the report and the suggestions, made while the tracker store still holds the text,
  hold no identifier (redacted at once);
- after the operator closes the ticket, a sweep anonymizes the conversation, and the
  person goes on talking: every answer of the line is the same as the control's;
- after a last sweep (PRIVACY_ANONYMIZE_AFTER_MINUTES=0: as if the person had gone
  quiet for an hour), no identifier is left verbatim anywhere: every table of the
  database (PostgreSQL) or every byte of the database files (SQLite, with their WAL),
  every file the processes wrote (logs, spools, journal), the report and suggestions,
  the RabbitMQ messages and this process's captured logs.

The WhatsApp number the person writes from is kept to answer them, until the deletion
(docs/privacy.md): it must be in whatsapp_contacts and nowhere else.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import psycopg2
import pytest
from sqlalchemy import create_engine, text

from line.core import pseudonyms
from line.handoff import accounts, tickets
from tests.console.conftest import Browser
from tests.failure.conftest import whatsapp_line
from tests.support.net import free_port, wait_until
from tests.support.requirements import ROOT, point_line_at
from tests.support.servers import Conversation, bot_texts, environment, start_rasa, stop, wait_for
from tests.support.whatsapp import INBOX_TOKEN, PSEUDONYM_SECRET, VERIFY_TOKEN, say

# Every identifier the conversation holds, by what it is.
IDENTIFIERS = {
    "name": "Yuleisy Márquez Colmenares",
    "first name": "Yuleisy",
    "surname": "Colmenares",
    "venezuelan id card": "V-18.456.732",
    "foreigner's card": "001845327",
    "phone": "987 654 123",
    "e-mail": "yuleisy.marquez83@gmail.com",
    "address": "Próceres 1234",
    "dni": "45871236",
    "bank account": "193-12345678-0-12",
    "cci": "00219300123456781234",
    "venezuelan phone": "+58 412 555 0199",
}
BEFORE_HANDOFF = [
    "hola, me llamo Yuleisy Márquez Colmenares",
    # Out of scope: the report and the suggestions quote it (unresolved, not sensitive).
    "soy Yuleisy Márquez Colmenares, quién ganó el partido de fútbol de ayer?",
    "mi cédula venezolana es V-18.456.732 y mi carné de extranjería 001845327",
    "quiero hablar con una persona, mi celular es 987 654 123 y mi correo "
    "yuleisy.marquez83@gmail.com",
]
# Written while waiting for the operator: kept for them, not answered.
WAITING = (
    "vivo en Av. Los Próceres 1234, San Juan de Lurigancho. El DNI de mi hijo es 45871236, "
    "mi cuenta BCP es 193-12345678-0-12 y mi CCI 00219300123456781234"
)
OPERATOR_REPLY = (
    "Hola Yuleisy, soy Ana. Te llamo al 987 654 123 por lo de la cuenta 193-12345678-0-12."
)
AFTER_HANDOFF = [
    "el seguro sis atiende a los venezolanos?",
    "busco albergue en Lima, mi otro número es +58 412 555 0199",
    "gracias",
]
# The WhatsApp numbers of the control and of the person under test.
PHONES = ("51911000201", "51911000202")
OPERATOR, OPERATOR_PASSWORD = "ana", "clave-segura-123"
PYTHON = sys.executable


def forms(identifier: str) -> set[str]:
    """How an identifier may be written down: as is, and inside JSON (Rasa's events
    and log lines escape letters such as "á")."""
    return {identifier, json.dumps(identifier)[1:-1]}


def leaks(places: dict[str, str]) -> list[tuple[str, str]]:
    """(place, kind of identifier) for every identifier found verbatim somewhere."""
    return [
        (place, kind)
        for place, content in places.items()
        for kind, identifier in IDENTIFIERS.items()
        if any(form in content for form in forms(identifier))
    ]


def assert_nothing_left(places: dict[str, str]) -> None:
    """Each leak, with the text around it, so the source can be found."""
    found = []
    for place, kind in leaks(places):
        content, identifier = places[place], IDENTIFIERS[kind]
        at = max(content.find(form) for form in forms(identifier))
        found.append(f"{place}: {kind} in {content[max(0, at - 120) : at + 60]!r}")
    assert not found, "\n".join(found)


def leaks_in(content: str) -> list[str]:
    return [kind for _, kind in leaks({"": content})]


def files_under(*folders: Path) -> dict[str, str]:
    """Every file the processes wrote (logs, databases, spools, journals), read as bytes
    so that nothing is skipped: a database's freed pages and its WAL included."""
    return {
        str(path): path.read_bytes().decode("utf-8", errors="replace")
        for folder in folders
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def postgres_rows(url: str) -> dict[str, str]:
    """Every row of every table of the database, as text."""
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [name for (name,) in cursor.fetchall()]
        found = {}
        for table in tables:
            cursor.execute(f'SELECT t::text FROM "{table}" AS t')
            found[f"postgresql table {table}"] = "\n".join(row for (row,) in cursor.fetchall())
    return found


def sqlite_rows(path: Path) -> dict[str, str]:
    """Every row of every table of a SQLite file, as text."""
    connection = sqlite3.connect(path)
    try:
        tables = [
            n for (n,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {
            f"sqlite table {table}": "\n".join(
                repr(row) for row in connection.execute(f'SELECT * FROM "{table}"')
            )
            for table in tables
        }
    finally:
        connection.close()


def run_module(work: Path, name: str, env: dict, *args: str) -> str:
    """`python -m <args>` as the Makefile runs it, its output kept in work/<name>.log."""
    done = subprocess.run(
        [PYTHON, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    with (work / f"{name}.log").open("a") as log:
        log.write(done.stdout + done.stderr)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def sweep(work: Path, env: dict, **settings: str) -> str:
    """`make privacy-sweep`, again if a Rasa process's own sweep held the lease."""
    output = ""
    for _ in range(30):
        output = run_module(work, "privacy-sweep", {**env, **settings}, "line.privacy.sweep")
        if "nothing done" not in output:
            return output
        time.sleep(1)
    raise AssertionError(f"the sweep never got its lease: {output}")


def report_and_suggestions(work: Path, env: dict) -> Path:
    """`make report` and `make suggest`, into work/reports."""
    out = work / "reports"
    run_module(work, "report", env, "line.feedback.report", "--out", str(out))
    run_module(work, "suggest", env, "line.feedback.suggest", "--out", str(out / "suggestions.yml"))
    return out


@contextmanager
def serving_module(work: Path, name: str, env: dict, health: str, params: dict = None):
    """`python -m <name>` as the Makefile starts it, logging to work/<name>.log, until
    `health` answers; stopped on the way out."""
    log = work / f"{name}.log"
    process = subprocess.Popen(
        [PYTHON, "-m", name], cwd=ROOT, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT
    )
    try:
        wait_for(health, process, log, params)
        yield process
    finally:
        stop(process)


@contextmanager
def console(work: Path, env: dict):
    """The operator console as `make console` starts it, with the operator's account
    made; yields the operator's logged-in browser."""
    port = free_port()
    env = {**env, "CONSOLE_HOST": "127.0.0.1", "CONSOLE_PORT": str(port)}
    env.setdefault("CONSOLE_SECRET", "test-secret")
    with serving_module(work, "console", env, f"http://127.0.0.1:{port}/salud"):
        if OPERATOR not in {o["username"] for o in accounts.operators()}:
            accounts.create(OPERATOR, OPERATOR_PASSWORD, "operator")
        browser = Browser(f"http://127.0.0.1:{port}")
        assert browser.login(OPERATOR, OPERATOR_PASSWORD, allow_redirects=False).status_code == 303
        yield browser


@contextmanager
def gateway(work: Path, env: dict, rasa_url: str):
    """The WhatsApp gateway as `make run` starts it, nudging Rasa at `rasa_url`; yields
    the webhook URL Meta would call."""
    port = free_port()
    env = {
        **env,
        "WHATSAPP_GATEWAY_HOST": "127.0.0.1",
        "WHATSAPP_GATEWAY_PORT": str(port),
        "WHATSAPP_RASA_URLS": rasa_url,
    }
    url = f"http://127.0.0.1:{port}/webhooks/whatsapp/webhook"
    handshake = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}
    with serving_module(work, "line.whatsapp.gateway", env, url, handshake):
        yield url


@dataclass
class Person:
    """Someone writing to the line: `say` returns the line's answers to one message."""

    sender: str
    say: Callable[[str], list[str]]


def masked(answers: list[str]) -> list[str]:
    """The answers without what depends on the moment: the place in the queue."""
    return [re.sub(r"\*\d+\*", "*N*", answer) for answer in answers]


def held_conversation(person: Person, operator: Browser, check_console: bool) -> list[str]:
    """The conversation up to the ticket's close, the operator working in the console;
    the line's answers, in order."""
    answers = []
    for message in BEFORE_HANDOFF:
        answers += person.say(message)
    answers += person.say(WAITING)
    [ticket] = [
        t for t in tickets.queue() if t["sender_id"] == person.sender and t["status"] == "waiting"
    ]
    page = f"/casos/{ticket['id']}"
    if check_console:
        queue = operator.get("/").text
        assert str(ticket["id"]) in queue
        assert leaks({"the queue": queue}) == []
    operator.submit("/", f"{page}/tomar")
    if check_console:
        seen = operator.get(page).text
        shown = {"the held ticket": seen}
        said = " ".join([*BEFORE_HANDOFF, WAITING])
        assert {kind for _, kind in leaks(shown)} == set(leaks_in(said)), seen
    assert operator.submit(page, f"{page}/responder", texto=OPERATOR_REPLY).ok
    operator.submit(page, f"{page}/cerrar", resultado="resolved")
    assert tickets.ticket(ticket["id"])["status"] == "closed"
    return answers


def check_channel(
    work: Path,
    env: dict,
    control: Person,
    subject: Person,
    stored_user_texts: Callable[[str], list[str]],
) -> None:
    """Both conversations, the report, the sweeps; the answers compared."""
    with console(work, env) as operator:
        expected = held_conversation(control, operator, check_console=False)
        for message in AFTER_HANDOFF:
            expected += control.say(message)

        answers = held_conversation(subject, operator, check_console=True)
    report = (report_and_suggestions(work, env) / "index.html").read_text(encoding="utf-8")
    assert "&lt;NOMBRE&gt;" in report  # the unresolved question, quoted redacted

    output = sweep(work, env)
    assert "anonymized conversations: 0" not in output, output
    stored = stored_user_texts(subject.sender)
    assert stored and leaks({"anonymized tracker": "\n".join(stored)}) == [], stored
    assert "<DOCUMENTO>" in "\n".join(stored)
    for message in AFTER_HANDOFF:
        answers += subject.say(message)
    assert masked(answers) == masked(expected)

    sweep(work, env, PRIVACY_ANONYMIZE_AFTER_MINUTES="0")


@pytest.fixture
def line_settings_at(monkeypatch):
    """Points the line's code in this process (accounts, tickets) at a database."""

    def point(url: str) -> None:
        point_line_at(monkeypatch, url)

    return point


def test_rest_on_postgresql_and_rabbitmq_leaves_no_identifier(line, line_settings_at, caplog):
    line_settings_at(line.db.direct)
    work = line.log.parent
    env = environment(
        DIRECTORY_DB_URL=line.db.direct, TRACKER_DB_URL=line.db.direct, RASA_URL=line.url
    )
    control, subject = Conversation(line.url), Conversation(line.url)

    def rest(conversation: Conversation) -> Person:
        return Person(conversation.sender, lambda message: bot_texts(conversation.say(message)))

    def user_texts(sender: str) -> list[str]:
        with psycopg2.connect(line.db.direct) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (sender,))
            events = [json.loads(data) for (data,) in cursor.fetchall()]
        return [e["text"] for e in events if e["event"] == "user"]

    check_channel(work, env, rest(control), rest(subject), user_texts)

    published = {
        f"RabbitMQ, {who}": json.dumps(line.queue.events(sender, wait_for=20))
        for who, sender in (("control", control.sender), ("subject", subject.sender))
    }
    assert all(len(json.loads(events)) >= 20 for events in published.values())
    places = {
        **postgres_rows(line.db.direct),
        **files_under(work),
        **published,
        "this process's logs": caplog.text,
    }
    assert_nothing_left(places)


def whatsapp_conversations(line, base: str, webhook: str) -> None:
    """The control and the person under test, writing to the gateway as Meta would."""
    env = {**line.env, "RASA_URL": base}
    inbox = create_engine(line.env["DIRECTORY_DB_URL"])

    def handled() -> int:
        with inbox.connect() as connection:
            pending, total = connection.execute(
                text("SELECT COUNT(*) - COUNT(done_at), COUNT(*) FROM whatsapp_inbox")
            ).one()
        return total if pending == 0 else -1

    def sent_to(phone: str) -> list[str]:
        return [t for t, message in line.graph.received() if message["to"] == phone]

    def whatsapp(phone: str) -> Person:
        def talk(message: str) -> list[str]:
            before, count = len(sent_to(phone)), handled()
            say(None, message, phone, url=webhook)
            assert wait_until(lambda: handled() > count, 90), "not handled"
            return sent_to(phone)[before:]

        return Person(pseudonyms.pseudonym(phone, PSEUDONYM_SECRET), talk)

    def user_texts(sender: str) -> list[str]:
        with create_engine(line.env["TRACKER_DB_URL"]).connect() as connection:
            rows = connection.execute(
                text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
            ).scalars()
            events = [json.loads(data) for data in rows]
        return [e["text"] for e in events if e["event"] == "user"]

    check_channel(line.work, env, *(whatsapp(phone) for phone in PHONES), user_texts)
    inbox.dispose()


def test_whatsapp_on_sqlite_leaves_no_identifier(
    trained_model, tmp_path_factory, line_settings_at, caplog
):
    # Rasa and the action server log at every level: debug lines quote whole messages.
    with whatsapp_line(
        tmp_path_factory.mktemp("privacy_whatsapp"),
        LOG_LEVEL="DEBUG",
        WHATSAPP_INBOX_TOKEN=INBOX_TOKEN,
    ) as line:
        line.gate.up()
        line_settings_at(line.env["DIRECTORY_DB_URL"])
        port = free_port()
        rasa = start_rasa(port, line.endpoints, line.env, line.work)
        base = f"http://127.0.0.1:{port}"
        try:
            with gateway(line.work, line.env, base) as webhook:
                whatsapp_conversations(line, base, webhook)
        finally:
            stop(rasa)
        files = files_under(line.work)
        assert_nothing_left({**files, "this process's logs": caplog.text})
        # The numbers people write from: only in whatsapp_contacts.
        places = {**files, **sqlite_rows(line.work / "line.db"), "this process's logs": caplog.text}
        for phone in PHONES:
            assert {place for place, content in places.items() if phone in content} == {
                str(line.work / "line.db"),
                "sqlite table whatsapp_contacts",
            }, phone
