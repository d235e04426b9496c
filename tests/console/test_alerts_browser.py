"""/avisos in a real browser (headless Chromium): coco composes and counts, lola approves,
and the progress bar follows a sender delivering to a few subscribers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from line.alerts import broadcasts, subscriptions
from line.alerts.worker import Outcome, Worker
from tests.console.conftest import PASSWORD
from tests.console.test_alerts import CONSENT, START, VALUES, console, lola  # noqa: F401
from tests.console.test_browser import wait_for_text
from tests.support.clock import FixedClock

PEOPLE = ("p1", "p2", "p3", "p4")


class Gated:
    """A channel that lets a message go only when the test says so."""

    def __init__(self):
        self.gate = threading.Semaphore(0)
        self.sent = []

    def send(self, pseudonym, template, values, now):
        assert self.gate.acquire(timeout=30), "the test never let this message go"
        self.sent.append((pseudonym, template.render(values)))
        return Outcome(True, broadcasts.TEMPLATE)


@pytest.fixture
def sender():
    """A broadcast sender on a fixed clock 20 minutes after the console's, in a thread."""
    channel = Gated()
    worker = Worker(channels={"whatsapp": channel}, clock=FixedClock(START + timedelta(minutes=20)))
    running = threading.Thread(target=_run, args=(worker,), daemon=True)
    running.start()
    yield channel
    worker.stop.set()
    channel.gate.release(len(PEOPLE))
    running.join(30)
    worker.pool.shutdown(wait=True)


def _run(worker: Worker) -> None:
    while not worker.stop.is_set():
        if not worker.run_once():
            worker.stop.wait(0.05)


def log_in(driver, url, username):
    driver.get(url + "/avisos")
    driver.find_element("id", "usuario").send_keys(username)
    driver.find_element("id", "clave").send_keys(PASSWORD)
    driver.find_element("id", "entrar").click()
    wait_for_text(driver, "Nuevo aviso")


def wait_for(driver, condition, timeout=20):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        condition
    )


def test_compose_approve_and_watch_progress(console, accounts_made, lola, sender, driver, tmp_path):  # noqa: F811
    for name in PEOPLE:
        subscriptions.subscribe(name, "whatsapp", CONSENT, ["covid_vaccine"], "Lima", now=START)
    subscriptions.subscribe("elsewhere", "whatsapp", CONSENT, [], "Tacna", now=START)

    log_in(driver, console.url, "coco")
    driver.find_element("id", "plantilla-aviso_novedad").click()
    driver.find_element("id", "valor-aviso_novedad-tema").send_keys(VALUES["tema"])
    driver.find_element("id", "valor-aviso_novedad-novedad").send_keys(VALUES["novedad"])
    driver.find_element("xpath", "//summary[starts-with(normalize-space(), 'Regiones')]").click()
    driver.find_element("css selector", "input[name=region][value=Lima]").click()
    # Typed as the browser stores it (the picker is locale-bound): 10:15 in Lima.
    driver.execute_script("document.getElementById('hora').value = '2026-12-07T10:15';")
    driver.find_element("id", "contar").click()
    wait_for_text(driver, "Llegará a")
    assert driver.find_element("id", "cuantos").text == "4"
    assert VALUES["novedad"] in driver.find_element("id", "vista-previa").text
    driver.find_element("id", "crear").click()
    wait_for_text(driver, "otra persona de coordinación debe aprobarlo")
    (row,) = broadcasts.recent()
    assert not driver.find_elements("id", f"aprobar-{row.id}")

    driver.find_element("id", "logout").click()
    wait_for_text(driver, "Entrar a la consola")
    log_in(driver, console.url, "lola")
    driver.find_element("id", f"aprobar-{row.id}").click()
    wait_for_text(driver, f"Aviso {row.id} aprobado")

    # The sender starts it; the page follows by itself (the script polls /avisos/estado).
    box = f"#aviso-{row.id}"
    wait_for(
        driver,
        lambda d: d.find_element("css selector", box).get_attribute("data-status") == "sending",
    )
    bar = f"{box} progress.barra"
    assert driver.find_element("css selector", bar).get_attribute("value") == "0"
    sender.gate.release(2)
    wait_for(driver, lambda d: d.find_element("css selector", bar).get_attribute("value") == "50")
    assert driver.find_element("css selector", f"{box} .enviados").text == "2"
    sender.gate.release(2)
    wait_for(
        driver, lambda d: d.find_element("css selector", box).get_attribute("data-status") == "done"
    )
    assert driver.find_element("css selector", f"{box} .estado").text == "Enviado"
    assert driver.find_element("css selector", bar).get_attribute("value") == "100"
    assert driver.find_element("css selector", f"{box} .enviados").text == "4"
    driver.save_screenshot(str(tmp_path / "avisos.png"))
    assert sorted(name for name, _ in sender.sent) == list(PEOPLE)
    assert all(VALUES["novedad"] in text for _, text in sender.sent)
