"""Two Rasa instances on one PostgreSQL tracker store and one Redis lock store (issue #7):
50 conversations interleaved across both, checked event by event in the tracker store.

The lock store alone first: two instances taking a ticket for one person at once.

Then the whole line as deployed: endpoints.production.yml as it is (our tracker store,
lock store and RabbitMQ broker), one action server, a throwaway PostgreSQL database, a
queue of its own. Each conversation alternates instances message by message (A, B, A,
…), as nginx's round robin may do; a person's next message waits for the reply to the
last, except in ten conversations where "hola" and the question leave at the same
moment for both instances, which only the Redis lock keeps apart (either may come
first). Then the `events` table is read directly and every conversation is checked turn
by turn. The RabbitMQ queue must hold the same events: the broker is in the production
endpoints, so it runs here too, and is checked in one line (test_broker_outage.py
checks it in depth).
"""

import asyncio
import json
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Optional

import psycopg2
import pytest
import requests
import yaml
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from line.understanding import names
from stores.lock_store import FallbackRedisLockStore
from tests.production.conftest import Queue
from tests.support.net import free_port
from tests.support.requirements import RABBITMQ, REDIS, ROOT
from tests.support.servers import (
    ACTION_SECRET,
    AUTH,
    environment,
    launch,
    load_sample,
    rasa_args,
    start_actions,
    stop,
    wait_for,
)

CONVERSATIONS = 50
WORKERS = 10
# Conversations whose first two messages ("hola", then the question) leave together.
BACK_TO_BACK = set(range(2, CONVERSATIONS, 5))
# Two-message searches, and the slots they must leave.
SEARCHES = [
    (
        ("necesito un albergue", "en trujillo"),
        {"service_category": "shelter", "region": "La Libertad"},
    ),
    (
        ("necesito un psicologo", "estoy en arequipa"),
        {"service_category": "mental_health", "region": "Arequipa"},
    ),
    (
        ("donde puedo vacunar a mi hijo", "vivo en piura"),
        {"service_category": "vaccination", "region": "Piura"},
    ),
]
RATING = "👍"


@dataclass
class Sent:
    conversation: int
    turn: int
    text: str
    instance: int
    seconds: float = 0.0
    replies: Optional[list] = None
    error: Optional[str] = None


@dataclass
class Script:
    index: int
    sender: str
    texts: list
    faq_topic: str
    search: tuple
    slots: dict
    sent: list = field(default_factory=list)


def side_by_side(first, second, pairs: int = 100) -> tuple:
    """Of `pairs` people whose two turns start at the same moment on two lock stores (two
    instances): how many had both turns running at once, the turns that failed, and how
    many locks were left in Redis (removed here)."""
    people = [f"two-lock-{uuid.uuid4().hex[:10]}" for _ in range(pairs)]
    starts = {person: threading.Barrier(2) for person in people}
    held, failed = defaultdict(list), []

    def instance(store):
        async def turn(person):
            async with store.lock(person, wait_time_in_seconds=0.02):
                entered = time.monotonic()
                await asyncio.sleep(0.01)
                held[person].append((entered, time.monotonic()))

        async def turns():
            for person in people:
                try:
                    starts[person].wait(timeout=10)
                    await asyncio.wait_for(turn(person), timeout=10)
                except Exception as exc:  # noqa: BLE001 (a lost turn is a result here)
                    failed.append(repr(exc))

        asyncio.run(turns())

    threads = [threading.Thread(target=instance, args=(store,)) for store in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    overlapping = sum(
        1
        for turns in held.values()
        if len(turns) == 2 and turns[0][0] < turns[1][1] and turns[1][0] < turns[0][1]
    )
    left = [person for person in people if first.get_lock(person)]
    for person in left:
        first.delete_lock(person)
    return overlapping, failed, len(left)


def test_rasa_own_lock_store_lets_two_instances_take_the_same_ticket(redis_service):
    """Why stores/lock_store.py changes locks in Redis transactions: with Rasa's store
    both turns run at once (or one is refused, LockError, when a release deleted its
    ticket)."""
    first, second = (
        RedisLockStore(host=REDIS[0], port=REDIS[1], db=1, key_prefix="line") for _ in range(2)
    )
    overlapping, failed, _ = side_by_side(first, second)
    assert overlapping + len(failed) > 0


def test_two_instances_taking_a_ticket_at_once_take_turns(redis_service):
    endpoint = EndpointConfig(
        url=REDIS[0],
        type="stores.lock_store.FallbackRedisLockStore",
        port=REDIS[1],
        db=1,
        password="",
        key_prefix="line",
    )
    first, second = (FallbackRedisLockStore(endpoint_config=endpoint) for _ in range(2))
    assert side_by_side(first, second) == (0, [], 0)


@pytest.fixture(scope="module")
def instances(tmp_path_factory, trained_model, postgres_url, redis_service, rabbitmq_service):
    """The action server and two Rasa instances, started side by side."""
    work = tmp_path_factory.mktemp("two_instances")
    actions_port, ports = free_port(), [free_port(), free_port()]
    queue = Queue(f"line_test_{uuid.uuid4().hex[:8]}")
    env = environment(
        DIRECTORY_DB_URL=postgres_url,
        TRACKER_DB_URL=postgres_url,
        REDIS_HOST=REDIS[0],
        REDIS_PORT=str(REDIS[1]),
        REDIS_LOCK_DB="1",
        REDIS_PASSWORD="",
        RABBITMQ_HOST=RABBITMQ[0],
        RABBITMQ_PORT=str(RABBITMQ[1]),
        RABBITMQ_USER="guest",
        RABBITMQ_PASSWORD="guest",
        RABBITMQ_QUEUE=queue.name,
        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{actions_port}/webhook",
        ACTION_SERVER_TOKEN=ACTION_SECRET,
        TRACKER_JOURNAL=str(work / "journal" / "tracker.db"),
        LINE_TICKET_SPOOL=str(work / "pending_tickets.jsonl"),
    )
    load_sample(env)
    started = time.monotonic()
    processes = []
    try:
        processes.append(start_actions(actions_port, env, work))
        # Both instances load the model at once, as `make run-production` starts them.
        for name, port in zip("ab", ports, strict=True):
            processes.append(
                launch(
                    f"rasa_{name}", rasa_args(port, ROOT / "endpoints.production.yml"), env, work
                )
            )
        for name, port, process in zip("ab", ports, processes[1:], strict=True):
            wait_for(f"http://127.0.0.1:{port}/status", process, work / f"rasa_{name}.log", AUTH)
        yield {
            "urls": [f"http://127.0.0.1:{port}" for port in ports],
            "db": postgres_url,
            "queue": queue,
            "startup": time.monotonic() - started,
            "logs": [work / "rasa_a.log", work / "rasa_b.log"],
        }
    finally:
        for process in reversed(processes):
            stop(process)
        queue.delete()


def held_out(pattern: str) -> dict:
    """tests/nlu examples (never in training) by intent."""
    found = defaultdict(list)
    for path in sorted((ROOT / "tests" / "nlu").glob(pattern)):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            found[block["intent"]] += [
                line[2:].strip() for line in block["examples"].splitlines() if line.strip()
            ]
    return found


def parse(url: str, text: str) -> dict:
    response = requests.post(f"{url}/model/parse", json={"text": text}, params=AUTH, timeout=30)
    response.raise_for_status()
    return response.json()


def understood(url: str, text: str, intent: str, topic: Optional[str] = None) -> bool:
    """The model reads `text` as `intent` (and FAQ `topic`) with nothing that would hand
    the person over: this test is about the stores, not about the model's accuracy
    (rasa test nlu measures that)."""
    data = parse(url, text)
    hands_over = (names.DANGER_KEY, names.ABUSE_KEY, names.IRREGULAR_STATUS_KEY)
    if data["intent"]["name"] != intent or any(data.get(key) for key in hands_over):
        return False
    if topic is None:
        return True
    chosen = data["response_selector"]["faq"]["response"]["intent_response_key"]
    return chosen == f"faq/{topic}"


def scripts(url: str) -> list:
    """50 conversations: greeting, an FAQ question and 👍, a search over two messages,
    thanks. Messages from tests/nlu, kept when the model reads them as labelled."""
    rng = random.Random(2026)
    other = held_out("other_intents.yml")
    greetings = [t for t in other["greet"] if understood(url, t, "greet")]
    thanks = [t for t in other["thank"] if understood(url, t, "thank")]
    faqs = [
        (text, intent.split("/", 1)[1])
        for intent, texts in held_out("faq_*.yml").items()
        for text in texts
    ]
    rng.shuffle(faqs)
    questions = []
    for text, topic in faqs:
        if len(questions) == CONVERSATIONS:
            break
        if understood(url, text, "faq", topic):
            questions.append((text, topic))
    assert len(greetings) >= 3 and len(thanks) >= 3 and len(questions) == CONVERSATIONS, (
        "too few held-out messages read as labelled",
        greetings,
        thanks,
        len(questions),
    )
    made = []
    for index, (question, topic) in enumerate(questions):
        search, slots = SEARCHES[index % len(SEARCHES)]
        made.append(
            Script(
                index=index,
                sender=f"two-{uuid.uuid4().hex[:10]}-{index}",
                texts=[rng.choice(greetings), question, RATING, *search, rng.choice(thanks)],
                faq_topic=topic,
                search=search,
                slots=slots,
            )
        )
    return made


def send(urls: list, script: Script, turn: int) -> Sent:
    instance = (script.index + turn) % 2
    sent = Sent(script.index, turn, script.texts[turn], instance)
    started = time.monotonic()
    try:
        response = requests.post(
            f"{urls[instance]}/webhooks/rest/webhook",
            json={"sender": script.sender, "message": sent.text},
            timeout=90,
        )
        response.raise_for_status()
        sent.replies = response.json()
    except requests.RequestException as exc:
        sent.error = repr(exc)
    sent.seconds = time.monotonic() - started
    return sent


def converse(urls: list, script: Script) -> None:
    """One person: each message after the reply to the last, alternating instances;
    in BACK_TO_BACK conversations the first two leave together."""
    turn = 0
    if script.index in BACK_TO_BACK:
        together = threading.Barrier(2)
        results = [None, None]

        def one(turn):
            together.wait(timeout=30)
            results[turn] = send(urls, script, turn)

        threads = [threading.Thread(target=one, args=(t,)) for t in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        script.sent += results
        turn = 2
    for later in range(turn, len(script.texts)):
        script.sent.append(send(urls, script, later))


def stored(db_url: str, senders: list) -> dict:
    with psycopg2.connect(db_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT sender_id, type_name, timestamp, data FROM events "
            "WHERE sender_id = ANY(%s) ORDER BY id",
            (senders,),
        )
        found = defaultdict(list)
        for sender, type_name, timestamp, data in cursor.fetchall():
            event = json.loads(data)
            assert (event["event"], event.get("timestamp")) == (type_name, timestamp)
            found[sender].append(event)
        return found


def as_replies(bot: dict) -> list:
    """What the REST channel (Rasa's CollectingOutputChannel) sends for a bot event."""
    data, text = bot.get("data") or {}, bot.get("text")
    buttons = data.get("quick_replies") or data.get("buttons")
    if buttons:
        messages = [{"text": text, "buttons": buttons}]
    elif text:
        messages = [{"text": part} for part in text.strip().split("\n\n")]
    else:
        messages = []
    assert not data.get("elements")
    return messages + [
        {key: data[key]} for key in ("custom", "image", "attachment") if data.get(key)
    ]


def turns(events: list) -> list:
    """The conversation cut after each action_listen that follows a user message: one
    list per turn, the session start belonging to the first."""
    cut, current, heard = [], [], False
    for event in events:
        current.append(event)
        heard = heard or event["event"] == "user"
        if heard and event["event"] == "action" and event["name"] == "action_listen":
            cut.append(current)
            current, heard = [], False
    if current:
        cut.append(current)
    return cut


def slots_after(events: list) -> dict:
    slots = {}
    for event in events:
        if event["event"] == "slot":
            slots[event["name"]] = event["value"]
    return slots


def check(script: Script, events: list) -> list:
    """Every problem found in one conversation, in words."""
    problems = []
    say = problems.append
    keys = [(e["event"], e.get("timestamp"), json.dumps(e, sort_keys=True)) for e in events]
    for key, count in Counter(keys).items():
        if count > 1:
            say(f"event stored {count} times: {key[2][:120]}")
    users = [e["text"] for e in events if e["event"] == "user"]
    expected = list(script.texts)
    if script.index in BACK_TO_BACK and users[:2] == expected[1::-1]:
        expected[:2] = expected[1::-1]  # sent together: either may take the lock first
    if users != expected:
        say(f"user messages {users}, sent {script.texts}")
        return problems
    if sum(e["event"] == "session_started" for e in events) != 1:
        say("not exactly one session start")
    replies = {s.text: s.replies for s in script.sent}
    cut = turns(events)
    if len(cut) != len(expected):
        say(f"{len(cut)} turns for {len(expected)} messages")
        return problems
    previous_end = None
    for number, turn in enumerate(cut):
        text = expected[number]
        user = [e for e in turn if e["event"] == "user"]
        if len(user) != 1 or user[0]["text"] != text:
            say(f"turn {number} holds user messages {[e['text'] for e in user]}")
            continue
        if turn[-1]["event"] != "action" or turn[-1]["name"] != "action_listen":
            say(f"turn {number} ({text!r}) does not end with action_listen")
        if previous_end is not None and user[0]["timestamp"] < previous_end:
            say(
                f"turn {number} ({text!r}) began before turn {number - 1} ended "
                f"({previous_end - user[0]['timestamp']:.3f} s): turns ran side by side"
            )
        previous_end = max(e["timestamp"] for e in turn)
        bots = [m for e in turn if e["event"] == "bot" for m in as_replies(e)]
        got = [{k: v for k, v in m.items() if k != "recipient_id"} for m in replies[text] or []]
        if bots != got:
            say(f"turn {number} ({text!r}): stored bot messages {bots} != REST reply {got}")
        utters = [
            (e.get("metadata") or {}).get("utter_action") for e in turn if e["event"] == "bot"
        ]
        actions = [e["name"] for e in turn if e["event"] == "action"]
        if text == script.texts[1] and f"utter_faq/{script.faq_topic}" not in utters:
            say(f"turn {number}: no utter_faq/{script.faq_topic} but {utters}")
        if text == RATING and "action_rate_answer" not in actions:
            say(f"turn {number}: 👍 not taken as a rating: {actions}")
        if text == script.search[1]:
            if "action_find_services" not in actions:
                say(f"turn {number}: no search: {actions}")
            slots = slots_after([e for t in cut[: number + 1] for e in t])
            wrong = {k: slots.get(k) for k, v in script.slots.items() if slots.get(k) != v}
            if wrong:
                say(f"after the search the slots are {wrong}, expected {script.slots}")
    return problems


def test_fifty_conversations_over_two_instances_are_stored_turn_by_turn(instances, capsys):
    urls, timings = instances["urls"], {"startup": instances["startup"]}
    started = time.monotonic()
    planned = scripts(urls[0])
    timings["choose messages"] = time.monotonic() - started

    started = time.monotonic()
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda script: converse(urls, script), planned))
    timings["conversations"] = time.monotonic() - started
    sent = [s for script in planned for s in script.sent]

    failed = [s for s in sent if s.error or not s.replies]
    assert not failed, f"{len(failed)} requests failed or got no reply: {failed[:3]}"
    served = Counter(s.instance for s in sent)
    assert served[0] > 100 and served[1] > 100, served
    # Nothing fell back: no lock taken in one instance only, no journaled turn, no error.
    errors = [
        line
        for log in instances["logs"]
        for line in log.read_text().splitlines()
        if " ERROR " in line
    ]
    assert not errors, errors[:5]

    started = time.monotonic()
    events = stored(instances["db"], [script.sender for script in planned])
    problems = {script.sender: check(script, events[script.sender]) for script in planned}
    problems = {sender: found for sender, found in problems.items() if found}
    swapped = sum(
        1
        for script in planned
        if script.index in BACK_TO_BACK
        and [e["text"] for e in events[script.sender] if e["event"] == "user"][:2]
        == script.texts[1::-1]
    )
    timings["checks"] = time.monotonic() - started

    started = time.monotonic()
    missing = {}
    for script in planned:
        keys = {(e["event"], e.get("timestamp")) for e in events[script.sender]}
        queued = {
            (e["event"], e.get("timestamp"))
            for e in instances["queue"].events(script.sender, wait_for=len(keys), timeout=10)
        }
        if keys != queued:
            missing[script.sender] = (len(keys - queued), len(queued - keys))
    timings["queue"] = time.monotonic() - started

    slowest = max(sent, key=lambda s: s.seconds)
    with capsys.disabled():
        print(
            f"\n[two instances] {len(sent)} messages in {CONVERSATIONS} conversations, "
            f"{WORKERS} at a time; per instance {dict(served)}; "
            f"{sum(len(e) for e in events.values())} events stored; sent together: "
            f"{len(BACK_TO_BACK)} pairs, {swapped} answered second-first; slowest reply "
            f"{slowest.seconds:.1f} s ({slowest.text!r}); "
            + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        )
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)[:6000]
    assert not missing, f"RabbitMQ (missing, extra) per conversation: {missing}"
