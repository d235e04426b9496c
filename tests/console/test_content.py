"""The content pages (/contenido): only content roles open them; an editor saves a topic
through the one save path, and reads what was wrong in plain Spanish; a conflicting save
loses nothing; the review inbox's actions. The files are a copy (`content_copy`)."""

import re
from html import unescape

import pytest

from line.content import history, workbench
from line.feedback import review
from tests.console.conftest import CSRF
from tests.line.content.test_inbox import waiting
from tests.support.content import git

VERSION = re.compile(r'name="version" value="([0-9a-f]*)"')


def form_of(browser, topic="shelter") -> dict:
    """The topic editor's form as the page fills it."""
    html = browser.get(f"/contenido/temas/{topic}").text

    def value(name):
        return unescape(re.search(rf'name="{name}"[^>]*value="([^"]*)"', html).group(1))

    def area(name):
        return unescape(re.search(rf'name="{name}"[^>]*>([^<]*)</textarea>', html).group(1))

    return {
        "csrf": CSRF.search(html).group(1),
        "version": VERSION.search(html).group(1),
        "titulo": value("titulo"),
        "respuesta": area("respuesta"),
        "ejemplos": area("ejemplos"),
        "fuentes": area("fuentes"),
        "verificado_el": value("verificado_el"),
        "verificado_por": re.search(r"<option selected>([^<]*)</option>", html).group(1),
        "revisar_antes": value("revisar_antes"),
    }


def page_text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def test_an_operator_cannot_open_or_change_content(login, content_copy):
    before = (content_copy / "data/faq/shelter.yml").read_text()
    ana = login("ana")
    for path in ("/contenido", "/contenido/bandeja", "/contenido/temas/shelter"):
        assert ana.get(path).status_code == 403
    posted = ana.post(
        "/contenido/temas/shelter", data={"csrf": ana.csrf("/"), "titulo": "Hackeado"}
    )
    assert posted.status_code == 403
    assert (content_copy / "data/faq/shelter.yml").read_text() == before


def test_an_editor_saves_a_topic_and_the_edit_is_on_the_page(login, content_repo):
    eva = login("eva")
    index = eva.get("/contenido")
    assert index.status_code == 200 and 'id="tema-shelter"' in index.text
    form = form_of(eva)
    form["ejemplos"] += "\nel albergue acepta perros?"
    saved = eva.post("/contenido/temas/shelter", data=form)
    assert saved.status_code == 200 and "Cambios guardados en data/faq/shelter.yml" in saved.text
    assert (
        "    - el albergue acepta perros?\nresponses:"
        in (content_repo / "data/faq/shelter.yml").read_text()
    )
    assert git(content_repo, "log", "-1", "--format=%an|%s") == ("eva|shelter: 1 example added")
    assert "1 ejemplo(s) añadido(s)" in page_text(saved)
    assert "1 ejemplo(s) añadido(s)" in page_text(eva.get("/contenido"))
    again = eva.post("/contenido/temas/shelter", data=form_of(eva))
    assert "No había cambios que guardar" in again.text


def test_what_is_wrong_is_said_in_plain_words_and_nothing_is_written(login, content_copy):
    before = (content_copy / "data/faq/shelter.yml").read_text()
    eva = login("eva")
    form = form_of(eva)
    form["respuesta"] = "🏠 *Albergues*\n" + "Una línea larga de la respuesta.\n" * 25
    form["fuentes"] += "\nhttps://elcomercio.pe/una-nota"
    form["verificado_por"] = "Eva Torres"
    refused = eva.post("/contenido/temas/shelter", data=form)
    assert refused.status_code == 422
    said = page_text(refused)
    assert "No se guardó nada: hay 3 problemas" in said
    assert "La respuesta tiene 838 caracteres: como mucho 700" in said
    assert "La fuente «https://elcomercio.pe/una-nota» no es un sitio oficial" in said
    assert "nunca el nombre de una persona" in said
    assert "Una línea larga de la respuesta." in refused.text  # the text stays in the form
    assert (content_copy / "data/faq/shelter.yml").read_text() == before


def test_of_two_saves_of_one_version_the_second_is_refused_and_keeps_its_text(login, content_copy):
    eva, coco = login("eva"), login("coco")
    form_eva, form_coco = form_of(eva), form_of(coco)
    form_eva["ejemplos"] += "\nlo que añadió eva"
    form_coco["respuesta"] += "\nLo que escribió coco."
    assert eva.post("/contenido/temas/shelter", data=form_eva).status_code == 200
    conflict = coco.post("/contenido/temas/shelter", data=form_coco)
    assert conflict.status_code == 409
    said = page_text(conflict)
    assert "Alguien guardó este tema mientras lo editabas (eva," in said
    assert "Lo tuyo NO se guardó y sigue en el formulario" in said
    assert "Lo escribió coco." not in said and "Lo que escribió coco." in said
    assert re.search(r'id="ejemplos-suyos">\s*<li>lo que añadió eva</li>', conflict.text)
    assert "Lo que escribió coco." not in (content_copy / "data/faq/shelter.yml").read_text()
    # Saving again (now over eva's version) is coco's choice, made knowingly.
    form_coco["version"] = VERSION.search(conflict.text).group(1)
    form_coco["csrf"] = CSRF.search(conflict.text).group(1)
    form_coco["ejemplos"] += "\nlo que añadió eva"
    assert coco.post("/contenido/temas/shelter", data=form_coco).status_code == 200
    topic = workbench.load("shelter")[0]
    assert topic.examples[-1] == "lo que añadió eva" and topic.answer.endswith("coco.")


def test_a_new_topic_starts_from_the_scaffold(login, content_copy):
    eva = login("eva")
    bad = eva.get("/contenido/nuevo", params={"tema": "Comedor Escolar", "titulo": "Comedor"})
    assert bad.status_code == 422 and "no sirve como identificador" in page_text(bad)
    page = eva.get("/contenido/nuevo", params={"tema": "school_meals", "titulo": "Comedor"})
    assert "Tema nuevo: Comedor" in page.text and "TODO" in page.text
    form = {
        "csrf": CSRF.search(page.text).group(1),
        "version": "",
        "nuevo": "1",
        "cobertura": "free school meals; ask the school",
        "titulo": "Comedor",
        "respuesta": "🍲 *Comedor escolar*\nPregunta en el colegio de tus hijos.",
        "ejemplos": "\n".join(f"pregunta {n} sobre el comedor del colegio" for n in range(15)),
        "fuentes": "https://www.gob.pe/minedu",
        "verificado_el": "2026-12-05",
        "verificado_por": "equipo de contenidos",
        "revisar_antes": "2027-12-05",
    }
    created = eva.post("/contenido/temas/school_meals", data=form)
    assert "Tema creado en data/faq/school_meals.yml" in created.text
    assert "  - id: school_meals\n" in (content_copy / "contract/topics.yml").read_text()


def test_the_inbox_shows_redacted_items_and_each_action_takes_one_out(login, content_copy):
    waiting("soy Yuleisy Carrasquel, hay albergue pa dormir esta noche?", why="handoff")
    waiting("cuanto cuesta el pasaje de bus a bolivia")
    waiting("quiero vender mi carro")
    eva = login("eva")
    page = eva.get("/contenido/bandeja")
    assert page.status_code == 200 and "Yuleisy" not in page.text
    assert "soy &lt;NOMBRE&gt;, hay albergue pa dormir esta noche?" in page.text
    assert "pasó a una persona" in page_text(page)
    key = review.text_key("soy Yuleisy Carrasquel, hay albergue pa dormir esta noche?")
    csrf = CSRF.search(page.text).group(1)
    added = eva.post(
        "/contenido/bandeja/ejemplo",
        data={"csrf": csrf, "clave": key, "tema": "shelter", "texto": ""},
    )
    assert "Ejemplo añadido a data/faq/shelter.yml" in added.text
    assert workbench.load("shelter")[0].examples[-1] == (
        "soy <NOMBRE>, hay albergue pa dormir esta noche?"
    )
    assert history.edits("shelter")[0]["changes"]["via"] == "inbox"
    car = review.text_key("quiero vender mi carro")
    dismissed = eva.post("/contenido/bandeja/descartar", data={"csrf": csrf, "clave": car})
    assert "no es para la línea" in dismissed.text and "vender mi carro" not in dismissed.text
    bus = review.text_key("cuanto cuesta el pasaje de bus a bolivia")
    gathered = eva.post(
        "/contenido/bandeja/borrador",
        data={"csrf": csrf, "clave": bus, "nuevo_borrador": "Pasajes"},
    )
    assert "Mensaje juntado en el borrador" in gathered.text
    assert "No hay nada por revisar" in gathered.text
    assert "cuanto cuesta el pasaje de bus a bolivia" in eva.get("/contenido").text
    gone = eva.post("/contenido/bandeja/descartar", data={"csrf": csrf, "clave": car})
    assert "alguien lo revisó antes" in gone.text
    decided = eva.get("/contenido")
    rows = [
        " ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for row in re.findall(r'<tr class="decidido">(.*?)</tr>', decided.text, re.S)
    ]
    assert "Yuleisy" not in decided.text
    assert [row.split(" ", 2)[2] for row in rows] == [
        "eva «cuanto cuesta el pasaje de bus a bolivia» Juntado en el borrador «Pasajes»",
        "eva «quiero vender mi carro» No es para la línea",
        "eva «soy <NOMBRE>, hay albergue pa dormir esta noche?» Ejemplo de «Albergues»",
    ]


def test_an_example_the_checks_refuse_is_explained_beside_its_item(login, content_copy):
    taken = workbench.load("covid_testing")[0].examples[0]
    waiting(taken)
    eva = login("eva")
    page = eva.get("/contenido/bandeja")
    refused = eva.post(
        "/contenido/bandeja/ejemplo",
        data={
            "csrf": CSRF.search(page.text).group(1),
            "clave": review.text_key(taken),
            "tema": "shelter",
        },
    )
    assert refused.status_code == 422
    assert f"El ejemplo «{taken}» está dos veces" in page_text(refused)
    assert "en «Albergues» y en «Prueba de COVID»" in page_text(refused)


@pytest.mark.parametrize("path", ["/contenido/temas/no_existe", "/contenido/temas/..%2Fx"])
def test_an_unknown_topic_is_not_found(login, content_copy, path):
    assert login("eva").get(path).status_code == 404


def test_every_problem_the_checks_find_has_its_plain_spanish_words():
    from pathlib import Path
    from string import Formatter

    from jinja2 import Environment, FileSystemLoader

    from line.content import check

    templates = Path(__file__).resolve().parents[2] / "console" / "templates"
    words = Environment(loader=FileSystemLoader(templates), autoescape=True)
    words.filters["local"] = lambda moment, fmt="": str(moment)  # the console's own filter
    said = words.get_template("_content.html").module.said
    for code, english in check.WORDING.items():
        details = {name: "x" for _, name, _, _ in Formatter().parse(english) if name}
        details.update(
            {
                k: v
                for k, v in {"problem": check.Said("no_title"), "first": Path("a.yml")}.items()
                if k in details
            }
        )
        problem = check.Said(code, details)
        spanish = str(said(problem, Path("data/faq/shelter.yml"), {})).strip()
        assert spanish and str(problem) not in spanish, code
