"""The console in a real browser (headless Chromium): log in, take a ticket,
answer with a quick reply, close; turn a review inbox item into a topic's example.
Needs Debian's chromium and chromium-driver (`make browser-deps`)."""

from __future__ import annotations

from line.handoff import tickets
from line.handoff.outbound import RestOutbox
from tests.console.conftest import PASSWORD, waiting_ticket


def wait_for_text(driver, text, timeout=10):
    """Wait for the next page. The old one may vanish while it is being read: Chromium
    then calls the element stale, or says its node "does not belong to the document"."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(page) -> bool:
        try:
            return text in page.find_element("tag name", "body").text
        except StaleElementReferenceException:
            return False
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return False
            raise

    WebDriverWait(driver, timeout).until(shown)


def test_log_in_claim_reply_and_close(console, accounts_made, rasa, driver, tmp_path):
    from selenium.webdriver.support.ui import Select

    ticket_id = waiting_ticket(
        "lucia", "emergency", text="me estan amenazando", danger="violence", rasa=rasa
    )
    waiting_ticket("pedro", "requested", text="hola")

    driver.get(console.url + "/")
    assert "/login" in driver.current_url
    driver.find_element("id", "usuario").send_keys("ana")
    driver.find_element("id", "clave").send_keys(PASSWORD)
    driver.find_element("id", "entrar").click()
    wait_for_text(driver, "Fila de atención")
    rows = driver.find_elements("css selector", "table.queue tbody tr")
    assert rows[0].get_attribute("id") == f"caso-{ticket_id}"
    assert "emergency" in rows[0].get_attribute("class")
    driver.save_screenshot(str(tmp_path / "queue.png"))

    driver.find_element("id", f"tomar-{ticket_id}").click()
    wait_for_text(driver, f"Tomaste el caso #{ticket_id}")
    assert "me estan amenazando" in driver.find_element("css selector", ".conversation").text

    Select(driver.find_element("id", "respuestas-rapidas")).select_by_visible_text("Albergues")
    box = driver.find_element("id", "texto-respuesta")
    assert "Albergues temporales" in box.get_attribute("value")
    box.clear()
    box.send_keys("Hola Lucía, soy Ana. Llama al 105 si estás en peligro ahora.")
    driver.find_element("id", "enviar").click()
    wait_for_text(driver, "Respuesta enviada")
    assert RestOutbox.received("lucia") == [
        "Hola Lucía, soy Ana. Llama al 105 si estás en peligro ahora."
    ]
    driver.save_screenshot(str(tmp_path / "ticket.png"))

    driver.find_element("id", "resultado-referred").click()
    driver.find_element("id", "cerrar").click()
    driver.switch_to.alert.accept()  # "¿Cerrar el caso?"
    wait_for_text(driver, f"Caso #{ticket_id} cerrado")
    assert tickets.ticket(ticket_id)["outcome"] == "referred"
    assert rasa.events("lucia", "resume")
    assert f"caso-{ticket_id}" not in driver.page_source


def test_a_draft_survives_an_expired_session(console, accounts_made, rasa, driver):
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.console.test_security import expire_sessions

    ticket_id = waiting_ticket(rasa=rasa)
    driver.get(console.url + "/login")
    driver.find_element("id", "usuario").send_keys("ana")
    driver.find_element("id", "clave").send_keys(PASSWORD)
    driver.find_element("id", "entrar").click()
    driver.find_element("id", f"tomar-{ticket_id}").click()
    driver.find_element("id", "texto-respuesta").send_keys("Un texto largo que no quiero perder")
    expire_sessions(60 * 24)
    driver.find_element("id", "enviar").click()
    wait_for_text(driver, "Tu sesión expiró")
    driver.find_element("id", "usuario").send_keys("ana")
    driver.find_element("id", "clave").send_keys(PASSWORD)
    driver.find_element("id", "entrar").click()
    wait_for_text(driver, "Responder a la persona")
    # The page's script puts the draft back once it runs, which may be after the text shows.
    WebDriverWait(driver, 10).until(
        lambda d: (
            d.find_element("id", "texto-respuesta").get_attribute("value")
            == "Un texto largo que no quiero perder"
        )
    )
    driver.find_element("id", "enviar").click()
    wait_for_text(driver, "Respuesta enviada")
    assert driver.find_element("id", "texto-respuesta").get_attribute("value") == ""
    assert RestOutbox.received("persona1") == ["Un texto largo que no quiero perder"]


def test_the_holder_plays_a_voice_note(console, accounts_made, rasa, driver, monkeypatch):
    import dataclasses

    from selenium.webdriver.support.ui import WebDriverWait

    from line.core import settings as config
    from line.handoff import audit
    from line.media import store
    from tests.support.media import ogg_opus
    from tests.support.whatsapp import MEDIA_KEY

    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, media_key=MEDIA_KEY)
    )
    ticket_id = waiting_ticket("rosa", "media", text="", rasa=rasa)
    media_id, _ = store.add("rosa", "whatsapp", "audio", "1348562876053371", "audio/ogg")
    store.attach(media_id, ticket_id, None)
    store.keep(media_id, ogg_opus(3), "audio/ogg", 3.0, None)

    driver.get(console.url + "/login")
    driver.find_element("id", "usuario").send_keys("ana")
    driver.find_element("id", "clave").send_keys(PASSWORD)
    driver.find_element("id", "entrar").click()
    wait_for_text(driver, "🎧 audio 0:03")
    driver.find_element("id", f"tomar-{ticket_id}").click()
    wait_for_text(driver, f"Tomaste el caso #{ticket_id}")
    audio = driver.find_element("id", f"audio-{media_id}")
    started = driver.execute_async_script(
        "const [audio, done] = arguments; audio.muted = true;"
        "audio.play().then(() => done('playing'), (e) => done(e.name + ': ' + e.message));",
        audio,
    )
    assert started == "playing"
    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script("return arguments[0].currentTime", audio) > 0.5
    )
    assert 2.9 < driver.execute_script("return arguments[0].duration", audio) < 3.1
    assert driver.execute_script("return arguments[0].error", audio) is None
    views = audit.views(media_id=media_id)
    assert views and [v["what"] for v in views] == ["file"] * len(views)


def test_an_inbox_item_becomes_an_example_of_a_suggested_topic(
    console, accounts_made, driver, content_repo
):
    from line.content import workbench
    from line.feedback import review
    from tests.line.content.test_inbox import waiting
    from tests.support.content import git

    said = "soy Yuleisy Carrasquel, cel 987654321, hay albergue pa dormir esta noche con mis hijos?"
    waiting(said, why="handoff")
    key = review.text_key(said)[:12]

    driver.get(console.url + "/contenido/bandeja")
    driver.find_element("id", "usuario").send_keys("eva")
    driver.find_element("id", "clave").send_keys(PASSWORD)
    driver.find_element("id", "entrar").click()
    wait_for_text(driver, "Bandeja de revisión")
    item = driver.find_element("id", f"item-{key}")
    assert "Yuleisy" not in item.text and "987654321" not in item.text
    assert "soy <NOMBRE>, cel <TELEFONO>" in item.text and "pasó a una persona" in item.text
    driver.find_element("id", f"ejemplo-{key}-shelter").click()  # the nearest topic, one click
    wait_for_text(driver, "Ejemplo añadido a data/faq/shelter.yml")
    assert not driver.find_elements("id", f"item-{key}")

    example = "soy <NOMBRE>, cel <TELEFONO>, hay albergue pa dormir esta noche con mis hijos?"
    assert workbench.load("shelter")[0].examples[-1] == example
    text = (content_repo / "data" / "faq" / "shelter.yml").read_text(encoding="utf-8")
    assert f"    - {example}\nresponses:" in text
    assert "Yuleisy" not in text and "987654321" not in text
    assert git(content_repo, "log", "-1", "--format=%an|%s") == (
        "eva|shelter: 1 example added (from the review inbox)"
    )
