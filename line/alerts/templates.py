"""The register of approved WhatsApp templates (contract/templates.yml).

A broadcast outside a person's 24-hour window may only be a template Meta approved, so the
register is checked as it is loaded, with an error naming the entry and the rule broken,
and a broadcast can name only a template that is in it. The same template renders as
text (the REST channel, previews, free text inside the window) and as the Cloud API's
template message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

import yaml

from line.core import settings as config

LANGUAGES = ("es", "es_PE")
CATEGORIES = ("utility", "marketing")
NAME = re.compile(r"[a-z0-9_]{1,512}")
PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
# Meta's limits: a body of at most 1024 characters, with its values too; a parameter
# with no new line or tab and no more than four spaces in a row.
BODY_LIMIT = 1024
PARAMETER_LIMIT = 1024
PARAMETER_FORBIDDEN = re.compile(r"[\n\t]| {5,}")


class TemplateFileError(ValueError):
    """The register cannot be used: the message says which entry and why."""


class ParameterError(ValueError):
    """A value given for a template is not one Meta would send; `code` names the rule
    (unknown_template, missing_parameter, unknown_parameter, bad_parameter, too_long) and
    `parameter` the value's name, for the form to say which."""

    def __init__(self, code: str, parameter: str = ""):
        super().__init__(f"{code}: {parameter}" if parameter else code)
        self.code = code
        self.parameter = parameter


@dataclass(frozen=True)
class Template:
    name: str
    language: str
    category: str
    parameters: tuple[str, ...]
    body: str

    def values(self, given: Mapping[str, str]) -> tuple[str, ...]:
        """The values in the order of {{1}}..{{n}}, each checked against Meta's rules."""
        unknown = sorted(set(given) - set(self.parameters))
        if unknown:
            raise ParameterError("unknown_parameter", unknown[0])
        values = []
        for name in self.parameters:
            value = str(given.get(name) or "").strip()
            if not value:
                raise ParameterError("missing_parameter", name)
            if PARAMETER_FORBIDDEN.search(value) or len(value) > PARAMETER_LIMIT:
                raise ParameterError("bad_parameter", name)
            values.append(value)
        if len(self._filled(values)) > BODY_LIMIT:
            raise ParameterError("too_long")
        return tuple(values)

    def _filled(self, values: tuple[str, ...]) -> str:
        return PLACEHOLDER.sub(lambda m: values[int(m.group(1)) - 1], self.body)

    def render(self, given: Mapping[str, str]) -> str:
        """What the person reads: the body with its values."""
        return self._filled(self.values(given))

    def payload(self, given: Mapping[str, str]) -> dict:
        """The Cloud API's template message (the part after the recipient)."""
        parameters = [{"type": "text", "text": value} for value in self.values(given)]
        template = {"name": self.name, "language": {"code": self.language}}
        if parameters:
            template["components"] = [{"type": "body", "parameters": parameters}]
        return {"type": "template", "template": template}


def _entry(number: int, entry: object) -> Template:
    where = f"template {number}"
    if not isinstance(entry, dict):
        raise TemplateFileError(f"{where}: expected a mapping with name, language, ...")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise TemplateFileError(f"{where}: name must be lower case letters, digits and _")
    where = f"template {name!r}"
    missing = [k for k in ("language", "category", "parameters", "body") if k not in entry]
    if missing:
        raise TemplateFileError(f"{where}: missing {', '.join(missing)}")
    extra = sorted(set(entry) - {"name", "language", "category", "parameters", "body"})
    if extra:
        raise TemplateFileError(f"{where}: unknown field {', '.join(extra)}")
    if entry["language"] not in LANGUAGES:
        raise TemplateFileError(f"{where}: language must be one of {', '.join(LANGUAGES)}")
    if entry["category"] not in CATEGORIES:
        raise TemplateFileError(f"{where}: category must be one of {', '.join(CATEGORIES)}")
    parameters = entry["parameters"]
    if not isinstance(parameters, list) or not all(
        isinstance(p, str) and NAME.fullmatch(p) for p in parameters
    ):
        raise TemplateFileError(f"{where}: parameters must be a list of lower case names")
    if len(set(parameters)) != len(parameters):
        raise TemplateFileError(f"{where}: a parameter name is repeated")
    body = entry["body"]
    if not isinstance(body, str) or not body.strip():
        raise TemplateFileError(f"{where}: body must be text")
    if len(body) > BODY_LIMIT:
        raise TemplateFileError(f"{where}: body is longer than {BODY_LIMIT} characters")
    used = {int(n) for n in PLACEHOLDER.findall(body)}
    expected = set(range(1, len(parameters) + 1))
    if used != expected:
        raise TemplateFileError(
            f"{where}: the body must use {{{{1}}}} to {{{{{len(parameters)}}}}} "
            f"once per parameter, and no other placeholder (it uses {sorted(used) or 'none'})"
        )
    return Template(name, entry["language"], entry["category"], tuple(parameters), body)


def parse(text: str, source: str = "templates") -> dict[str, Template]:
    """Templates by name, or TemplateFileError naming the first entry that breaks a rule."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TemplateFileError(f"{source}: not valid YAML ({exc})") from exc
    entries = data.get("templates") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise TemplateFileError(f"{source}: expected a non-empty list under 'templates'")
    register: dict[str, Template] = {}
    for number, entry in enumerate(entries, start=1):
        template = _entry(number, entry)
        if template.name in register:
            raise TemplateFileError(f"{source}: template {template.name!r} appears twice")
        register[template.name] = template
    return register


def load(path: Optional[Path] = None) -> dict[str, Template]:
    path = path or config.settings.alerts_templates_file
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateFileError(f"{path}: cannot be read ({exc.strerror})") from exc
    return parse(text, str(path))


def get(name: str, register: Optional[Mapping[str, Template]] = None) -> Template:
    register = load() if register is None else register
    if name not in register:
        raise ParameterError("unknown_template", name)
    return register[name]
