"""A real `make train-content` finetune, on a small project with the line's own config.yml
(its components, a couple of epochs): Rasa's finetune must load every component of the
line from a model and train it on, and the finetuned model must answer. A small project
keeps this to a minute or two; the trainers' job on the real model is
tests/console/test_training_real.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.support.content import line_python, train_content
from tests.support.requirements import ROOT

TIMEOUT = 900
EPOCHS = 2  # a finetune takes a tenth of them: one epoch a component

DOMAIN = {
    "version": "3.1",
    "intents": ["greet", "faq"],
    "actions": ["action_handoff"],  # config.yml's RulePolicy falls back to it
    "responses": {"utter_greet": [{"text": "Hola"}]},
}
GREET = ["hola", "buenas", "buenos dias", "hola que tal", "buenas tardes", "holaa"]
TOPICS = {
    "shelter": [
        "los albergues cobran?",
        "donde hay un albergue",
        "puedo dormir en un albergue",
        "hay refugio para migrantes",
        "albergue para familias",
    ],
    "covid_testing": [
        "donde me hago la prueba de covid",
        "cuanto cuesta la prueba covid",
        "prueba molecular gratis",
        "necesito una prueba de covid",
        "me hacen la prueba sin papeles",
    ],
}
NEW_ANSWER = "Respuesta nueva sobre albergues"
RULES = [
    {"rule": "greet", "steps": [{"intent": "greet"}, {"action": "utter_greet"}]},
    {"rule": "faq", "steps": [{"intent": "faq"}, {"action": "utter_faq"}]},
]


def write_yaml(path: Path, content: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), "utf-8")


def examples(texts) -> str:
    return "".join(f"- {t}\n" for t in texts)


def write_topic(project: Path, topic: str, answer: str) -> None:
    write_yaml(
        project / "data" / "faq" / f"{topic}.yml",
        {
            "version": "3.1",
            "nlu": [{"intent": f"faq/{topic}", "examples": examples(TOPICS[topic])}],
            "responses": {f"utter_faq/{topic}": [{"text": answer}]},
        },
    )


def small_project(root: Path) -> Path:
    """The line's config.yml with few epochs, two intents, two FAQ topics and their rules."""
    config = yaml.safe_load((ROOT / "config.yml").read_text("utf-8"))
    components = [*config["pipeline"], *config["policies"]]
    trained = [c for c in components if "epochs" in c]
    assert trained, "config.yml trains nothing by epochs: this test has nothing to finetune"
    for component in trained:
        component["epochs"] = EPOCHS
    write_yaml(root / "config.yml", config)
    write_yaml(root / "domain.yml", DOMAIN)
    write_yaml(
        root / "data" / "nlu" / "smalltalk.yml",
        {"version": "3.1", "nlu": [{"intent": "greet", "examples": examples(GREET)}]},
    )
    for topic in TOPICS:
        write_topic(root, topic, f"Respuesta sobre {topic}")
    write_yaml(root / "data" / "rules" / "rules.yml", {"version": "3.1", "rules": RULES})
    (root / "models").mkdir()
    return root


READ = """
import asyncio, json, sys
from rasa.core.agent import Agent
print(json.dumps(asyncio.run(Agent.load(sys.argv[1]).parse_message(sys.argv[2]))))
"""


def parse(project: Path, model: Path, text: str) -> dict:
    """What the model reads in `text`, loaded as Rasa serves it."""
    done = line_python(project, "-c", READ, str(model), text, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.training
def test_a_changed_answer_is_finetuned_with_the_lines_components_and_the_model_answers(tmp_path):
    project = small_project(tmp_path)
    model = project / "models" / "line.tar.gz"
    first = train_content(project, timeout=TIMEOUT)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "trained from scratch" in first.stdout

    # A new wording is more than examples: the router alone cannot take it, Rasa finetunes.
    write_topic(project, "shelter", NEW_ANSWER)
    finetuned = train_content(project, timeout=TIMEOUT)
    assert finetuned.returncode == 0, finetuned.stdout + finetuned.stderr
    assert "finetuned in" in finetuned.stdout, finetuned.stdout
    state = json.loads((project / "models" / "line.finetune.json").read_text())
    assert state["chain"] == 1

    # One of the topic's own examples: the finetuned model gives the new wording.
    reading = parse(project, model, TOPICS["shelter"][1])
    assert reading["intent"]["full_retrieval_intent_name"] == "faq/shelter"
    [answer] = reading["response_selector"]["faq"]["response"]["responses"]
    assert answer["text"] == NEW_ANSWER
