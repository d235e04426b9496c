"""What the metrics tests share: a conversation full of identifiers, scraping a metrics
port, and the check that nothing of it reached a label or a value."""

from __future__ import annotations

import re
from pathlib import Path

import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from line.core import metrics

ROOT = Path(__file__).resolve().parents[2]
# A person who gives away everything: names, numbers, documents, an address, an e-mail.
PHONES = ("51987650001", "51912340002", "584125550199")
IDENTIFYING_MESSAGES = (
    "hola soy Maria Fernanda Gutierrez Rojas y mi DNI es 45678912",
    "mi numero es 51987650001 y mi correo es mafer.gutierrez88@gmail.com",
    "vivo en Jiron Los Olivos 1234, Urb. Santa Rosa, Trujillo",
    "mi carnet de extranjeria es CE 001234567 y mi pasaporte V87654321",
    "necesito ayuda urgente, mi esposo Jose Ramirez me pega, llamen al 912340002",
    "mi cuenta es 191-12345678-0-12 del BCP, me pidieron plata por ayudarme",
    "donde me vacuno en trujillo",
    "quiero hablar con una persona",
)


def domain_actions() -> list[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return metrics.action_names(domain.get("actions") or [])


def vocabulary() -> set[str]:
    """Every value a label of the line's metrics may take: the fixed sets of
    line/core/metrics.py and the domain's actions."""
    values = set(domain_actions())
    for name in dir(metrics):
        value = getattr(metrics, name)
        if (
            isinstance(value, (tuple, frozenset))
            and value
            and all(isinstance(v, str) for v in value)
        ):
            values |= set(value)
    return values


def scrape(port: int) -> str:
    response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    response.raise_for_status()
    return response.text


def secrets_of(messages=IDENTIFYING_MESSAGES, phones=PHONES, more=()) -> list[str]:
    """The texts and every identifying word in them (numbers and names), to look for."""
    words = {
        w
        for m in messages
        for w in re.findall(r"[\w.@-]{5,}", m)
        if any(c.isdigit() for c in w) or "@" in w
    }
    names = {"Gutierrez", "Fernanda", "Ramirez", "Olivos", "mafer"}
    return [*messages, *phones, *words, *names, *more]


def assert_clean(exposition: str, secrets) -> None:
    """No secret anywhere in the exposition, and every label of a line_* metric one of
    the fixed values (numbers aside)."""
    lowered = exposition.lower()
    found = [s for s in secrets if s.lower() in lowered]
    assert not found, f"in the metrics: {found}"
    allowed = vocabulary()
    for family in text_string_to_metric_families(exposition):
        if not family.name.startswith("line_"):
            continue
        for sample in family.samples:
            for label, value in sample.labels.items():
                if label in ("le", "quantile"):
                    continue
                assert value in allowed, f"{sample.name}{{{label}={value!r}}}"
