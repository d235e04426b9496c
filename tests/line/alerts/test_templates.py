"""The template register: the line's own file loads, broken entries are named, values are
checked against Meta's rules, and a template renders as text and as the Cloud API's
message."""

import re

import pytest

from line.alerts import templates
from line.alerts.templates import ParameterError, TemplateFileError

GOOD = """
templates:
  - name: aviso
    language: es_PE
    category: utility
    parameters: [tema, novedad]
    body: "Sobre *{{1}}*: {{2}}"
"""


def test_the_line_s_register_loads():
    register = templates.load()
    assert register
    for template in register.values():
        values = {name: "algo" for name in template.parameters}
        assert "{{" not in template.render(values)


def test_a_template_renders_as_text_and_as_the_cloud_api_payload():
    template = templates.parse(GOOD)["aviso"]
    values = {"tema": "Vacunas", "novedad": "Campaña en Tacna"}
    assert template.render(values) == "Sobre *Vacunas*: Campaña en Tacna"
    assert template.payload(values) == {
        "type": "template",
        "template": {
            "name": "aviso",
            "language": {"code": "es_PE"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Vacunas"},
                        {"type": "text", "text": "Campaña en Tacna"},
                    ],
                }
            ],
        },
    }


@pytest.mark.parametrize(
    "change, says",
    [
        (("es_PE", "pt_BR"), "language must be one of es, es_PE"),
        (("utility", "promo"), "category must be one of utility, marketing"),
        (("{{2}}", "{{3}}"), "must use {{1}} to {{2}}"),
        (("name: aviso", "name: Aviso Uno"), "template 1: name must be"),
        (("parameters: [tema, novedad]", "parameters: [tema, tema]"), "repeated"),
        (("    body:", "    cuerpo:"), "missing body"),
        (("templates:", "plantillas:"), "expected a non-empty list under 'templates'"),
    ],
)
def test_a_broken_entry_is_named_with_the_rule_it_breaks(change, says):
    with pytest.raises(TemplateFileError, match=re.escape(says)):
        templates.parse(GOOD.replace(*change))


def test_a_repeated_name_and_a_body_over_the_limit_are_refused():
    entry = GOOD.split("templates:\n", 1)[1]
    with pytest.raises(TemplateFileError, match="appears twice"):
        templates.parse(GOOD + entry)
    with pytest.raises(TemplateFileError, match="longer than 1024"):
        templates.parse(GOOD.replace("Sobre", "x" * 1100))


@pytest.mark.parametrize(
    "values, code, parameter",
    [
        ({"tema": "Vacunas"}, "missing_parameter", "novedad"),
        ({"tema": "Vacunas", "novedad": "  "}, "missing_parameter", "novedad"),
        ({"tema": "Vacunas", "novedad": "a\nb"}, "bad_parameter", "novedad"),
        ({"tema": "Vacunas", "novedad": "a     b"}, "bad_parameter", "novedad"),
        ({"tema": "V", "novedad": "n", "otro": "x"}, "unknown_parameter", "otro"),
        ({"tema": "V", "novedad": "x" * 1020}, "too_long", ""),
    ],
)
def test_values_meta_would_refuse_are_refused_with_the_rule(values, code, parameter):
    template = templates.parse(GOOD)["aviso"]
    with pytest.raises(ParameterError) as refused:
        template.payload(values)
    assert (refused.value.code, refused.value.parameter) == (code, parameter)


def test_an_unknown_template_is_refused():
    with pytest.raises(ParameterError) as refused:
        templates.get("no_existe", templates.parse(GOOD))
    assert refused.value.code == "unknown_template"
