"""The trainers' job with the real model and a running Rasa (issue #16, "Test and
publish"): an example added to a topic is answered after publishing, a bad paste is
refused with the reason on /entrenamiento, a rollback brings the previous model back,
and a steady load of conversations runs through the model swap without an error or a
lost turn.

Each job costs minutes (it tests the model on tests/nlu and the test stories), so the
module shares one line (a copy of the project's content, its own model file, Rasa and
the action server) and runs each job once, in the order a trainer would: publish, roll
back under load, a refused publish. Both publishes change examples only, so the router
alone is refitted; Rasa's finetune is tested on a small project
(tests/line/content/test_finetune_small_project.py). The repository's files are never
written: the job trains from the copy (settings.content_root) and publishes into the
copy's models/.
"""

from __future__ import annotations

import shutil
import statistics
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
import yaml

from line.content.topic_file import examples_of
from line.core import rasa_api
from line.core.db import utc_now
from line.handoff import accounts
from line.training import cli, gate, job, models, runs
from line.understanding.router import REFIT_MOST_EXAMPLES
from tests.console.conftest import PASSWORD, Browser, ConsoleServer
from tests.support.net import free_port
from tests.support.requirements import ROOT, fresh_sqlite, point_line_at
from tests.support.servers import TOKEN, Conversation, prepare, serving

TOPIC = "shelter"
# Read as no topic (nlu_fallback) by the model trained on the project's content. The
# change is the one measured by hand (docs/training.md, "Figures"): the gate passed it
# by one case of tests/nlu, so another model may refuse it (the test then says why).
MISSED = "necesito un techo esta noche para mi y mis hijos"
ADDED = (
    MISSED,
    "hay algun refugio pa pasar la noche sin pagar",
    "nos podemos quedar unos dias en un albergue mientras seguimos viaje a chile",
)
# A bad paste: questions of these topics, those of tests/nlu, also under `volunteering`.
# No more than the router alone takes (REFIT_MOST_EXAMPLES): a real finetune would cost
# this module ten minutes, and tests/line/content/test_finetune_small_project.py has one.
PASTED_FROM, PASTED_INTO = ("police_id_checks", "work_rights"), "volunteering"
CONTENT = ("config.yml", "domain.yml", "data", "tests/nlu", "tests/test_stories.yml")
LOAD_SENDERS = 4
LOAD_MESSAGES = ("hola", "los albergues cobran?", "cuanto cuesta la prueba de covid", "gracias")
LOAD_TIMEOUT = 300  # a turn may wait for a whole model load; it must not be refused


def faq_answers(url: str, text: str) -> list[str]:
    """The FAQ answers the line gives a new conversation that says `text`."""
    person = Conversation(url)
    person.say(text)
    return [u for u in person.utters() if u and u.startswith("utter_faq/")]


def add_examples(topic_file: Path, texts) -> None:
    """Examples added after the first of the topic's list."""
    lines = topic_file.read_text(encoding="utf-8").splitlines(keepends=True)
    first = lines.index("  examples: |\n") + 1
    lines[first + 1 : first + 1] = [f"    - {t}\n" for t in texts]
    topic_file.write_text("".join(lines), encoding="utf-8")


def why(run: dict) -> str:
    """What a run that ended otherwise than expected said."""
    return "; ".join([run["error"] or "", *(cli.reason_text(r) for r in run["reasons"])])


def run_job(kind: str) -> dict:
    """One run as the console's process or `make publish` runs it."""
    started = runs.start(kind, "tito", utc_now(), 600)
    job.Job(started.run["id"]).run()
    return runs.get(started.run["id"])


@pytest.fixture(scope="module")
def line(tmp_path_factory, trained_model, migrated_sqlite):
    work = tmp_path_factory.mktemp("publish")
    content = work / "content"
    for name in CONTENT:
        source, target = ROOT / name, content / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target)
    served = work / "models" / trained_model.name
    served.parent.mkdir()
    shutil.copy2(trained_model, served)  # without its finetune record: a chain of none
    db_url = fresh_sqlite(migrated_sqlite, work / "line.db")
    rasa_port, actions_port = free_port(), free_port()
    env, endpoints = prepare(work, db_url, actions_port)
    with pytest.MonkeyPatch.context() as patch:
        with serving(env, work, actions_port, rasa_port, endpoints, model=served) as url:
            point_line_at(
                patch,
                db_url,
                served_model=served,
                training_dir=work / "training",
                content_root=content,
                whatsapp_rasa_urls=(url,),
                rasa_token=TOKEN,
                console_secret="test-secret",
            )
            yield SimpleNamespace(
                url=url, content=content, served=served, first_id=models.model_id(served)
            )


@pytest.fixture(scope="module")
def published(line):
    before = faq_answers(line.url, MISSED)
    add_examples(line.content / "data" / "faq" / f"{TOPIC}.yml", ADDED)
    run = run_job(runs.PUBLISH)
    return SimpleNamespace(run=run, answers_before=before)


class SteadyLoad:
    """People writing over the REST channel, each sending the next message as soon as
    the last is answered, until stopped. Every turn is kept: its text, when it was sent,
    how long it waited and its reply or error."""

    def __init__(self, url: str, senders: int):
        self.url = url
        self.people = [Conversation(url) for _ in range(senders)]
        self.turns: list[SimpleNamespace] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._talk, args=(p,)) for p in self.people]

    def _talk(self, person: Conversation) -> None:
        n = 0
        while not self.stopping.is_set():
            text = LOAD_MESSAGES[n % len(LOAD_MESSAGES)]
            sent = time.monotonic()
            try:
                response = requests.post(
                    f"{self.url}/webhooks/rest/webhook",
                    json={"sender": person.sender, "message": text},
                    timeout=LOAD_TIMEOUT,
                )
                reply, error = (
                    (response.json(), None) if response.ok else (None, response.status_code)
                )
            except (requests.RequestException, ValueError) as exc:
                reply, error = None, repr(exc)
            self.turns.append(
                SimpleNamespace(
                    sender=person.sender,
                    text=text,
                    sent=sent,
                    waited=time.monotonic() - sent,
                    reply=reply,
                    error=error,
                )
            )
            n += 1

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(LOAD_TIMEOUT + 10)


@pytest.fixture(scope="module")
def rolled_back_under_load(line, published):
    assert published.run["status"] == runs.PUBLISHED, why(published.run)
    with SteadyLoad(line.url, LOAD_SENDERS) as load:
        while len(load.turns) < 2 * LOAD_SENDERS:  # the load is under way
            time.sleep(0.2)
        swap_started = time.monotonic()
        run = run_job(runs.ROLLBACK)
        swap_ended = time.monotonic()
        time.sleep(3)  # and goes on after the swap
    return SimpleNamespace(run=run, load=load, swap=(swap_started, swap_ended))


def test_an_example_added_to_a_topic_is_answered_once_published(line, published):
    assert published.answers_before != [f"utter_faq/{TOPIC}"]  # the serving model missed it
    run = published.run
    assert run["status"] == runs.PUBLISHED, why(run)
    # Only examples changed: the router alone was refitted (components/router_refit.py).
    assert run["results"]["training"]["kind"] == job.ROUTER_ONLY
    assert run["model_id"] != line.first_id
    assert rasa_api.status(line.url)["model_id"] == run["model_id"] == models.model_id(line.served)
    assert models.model_id(models.previous_of(line.served)) == line.first_id
    assert faq_answers(line.url, MISSED) == [f"utter_faq/{TOPIC}"]
    assert [i["ok"] for i in run["results"]["instances"]] == [True]
    after = run["results"]["after"]
    assert after["topics"][TOPIC]["support"] > 0 and not after["stories_failed"]


def test_rollback_brings_the_previous_model_back(line, published, rolled_back_under_load):
    run = rolled_back_under_load.run
    assert run["status"] == runs.ROLLED_BACK, why(run)
    assert rasa_api.status(line.url)["model_id"] == line.first_id == models.model_id(line.served)
    # The published one is kept as the previous model: the rollback can be undone.
    assert models.model_id(models.previous_of(line.served)) == published.run["model_id"]
    assert faq_answers(line.url, MISSED) == published.answers_before


def test_conversations_run_through_the_model_swap_without_errors_or_lost_turns(
    rolled_back_under_load,
):
    load = rolled_back_under_load.load
    started, ended = rolled_back_under_load.swap
    assert [t for t in load.turns if t.error or not t.reply] == []
    during = [t for t in load.turns if t.sent < ended and t.sent + t.waited > started]
    assert during, "no turn crossed the swap"
    for person in load.people:  # Rasa kept every message once, in the order sent
        sent = [t.text for t in load.turns if t.sender == person.sender]
        kept = [e["text"] for e in person.tracker()["events"] if e["event"] == "user"]
        assert kept == sent
    calm = statistics.median(t.waited for t in load.turns if t not in during)
    longest = max(t.waited for t in during)
    print(
        f"\n{len(load.turns)} turns from {LOAD_SENDERS} senders; swap {ended - started:.1f} s; "
        f"longest wait across it {longest:.1f} s (median otherwise {calm:.2f} s)"
    )


@pytest.fixture(scope="module")
def refused(line, rolled_back_under_load):
    asked = [
        text
        for path in sorted((line.content / job.NLU_TESTS).glob("*.yml"))
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
        if block["intent"] in {f"faq/{topic}" for topic in PASTED_FROM}
        for text in examples_of(block["examples"])
    ]
    # The three examples published first are still in the content, not in the rolled-back
    # model: with them the change stays within what the router alone takes.
    room = REFIT_MOST_EXAMPLES - len(ADDED)
    add_examples(line.content / "data" / "faq" / f"{PASTED_INTO}.yml", asked[:room])
    serving_before = rasa_api.status(line.url)["model_id"]
    return SimpleNamespace(run=run_job(runs.PUBLISH), serving_before=serving_before)


def test_a_bad_paste_is_refused_and_the_page_says_why(line, refused):
    run = refused.run
    assert run["status"] == runs.REFUSED, why(run)
    assert run["results"]["training"]["kind"] == job.ROUTER_ONLY
    drop = next(r for r in run["reasons"] if r["code"] == gate.FAQ_DROP)
    assert drop["before"] - drop["after"] > gate.MAX_FAQ_DROP
    assert {t["topic"] for t in drop["topics"]} & set(PASTED_FROM)
    # Nothing was published: the same model serves, from the same file.
    assert rasa_api.status(line.url)["model_id"] == refused.serving_before == line.first_id
    assert models.model_id(line.served) == line.first_id
    accounts.create("tito", PASSWORD, "trainer")
    with ConsoleServer() as console:
        tito = Browser(console.url)
        assert tito.login("tito", allow_redirects=False).status_code == 303
        page = tito.get("/entrenamiento").text
    assert "No se publicó porque" in page and "Las respuestas frecuentes aciertan menos" in page
    assert f"bajaron de {drop['before'] * 100:.1f} % a {drop['after'] * 100:.1f} %" in page
    assert 'data-code="faq_drop"' in page
