"""/informes in a real browser (headless Chromium): the filters, with one day and with a
year of generated data; the charts fit the page and their labels never overlap."""

from __future__ import annotations

import dataclasses

import pytest

from line.core import settings as config
from line.handoff import hours
from tests.console.conftest import PASSWORD
from tests.console.test_browser import wait_for_text
from tests.line.feedback.generated import generate


@pytest.fixture
def no_tracker(tmp_path, monkeypatch):
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, tracker_db_url=f"sqlite:///{tmp_path / 'none.db'}"),
    )


def log_in(driver, url):
    driver.get(url + "/informes")
    driver.find_element("id", "usuario").send_keys("coco")
    driver.find_element("id", "clave").send_keys(PASSWORD)
    driver.find_element("id", "entrar").click()
    wait_for_text(driver, "lo que la gente pregunta")


def number(driver, name: str) -> int:
    return int(driver.find_element("id", f"cifra-{name}").text)


def set_date(driver, field: str, value: str) -> None:
    """Typed into the date input as the browser stores it (the picker is locale-bound)."""
    driver.execute_script(
        "arguments[0].value = arguments[1]", driver.find_element("id", field), value
    )


def labels_apart(driver, chart: str) -> None:
    """The axis labels of a chart, as drawn, do not overlap and stay inside it."""
    svg = driver.find_element("css selector", f"#{chart} svg")
    box = svg.rect
    ticks = [
        t.rect for t in svg.find_elements("css selector", "g.column text.tick") if t.text.strip()
    ]
    assert ticks, f"{chart} has no axis labels"
    for left, right in zip(ticks, ticks[1:], strict=False):
        assert left["x"] + left["width"] <= right["x"], (left, right)
    assert (
        ticks[0]["x"] >= box["x"] and ticks[-1]["x"] + ticks[-1]["width"] <= box["x"] + box["width"]
    )


def test_filters_with_one_day_of_data(console, accounts_made, no_tracker, driver, tmp_path):
    from selenium.webdriver.support.ui import Select

    today = hours.local_now().date()
    made = generate(today, days=1, per_day=24, seed=7)
    log_in(driver, console.url)
    driver.find_element("id", "rango-hoy").click()
    wait_for_text(driver, "Retroalimentación por día")
    assert number(driver, "mensajes") == 24
    assert len(driver.find_elements("css selector", "#grafico-tendencia g.column")) == 1
    labels_apart(driver, "grafico-tendencia")
    driver.set_window_size(1280, 3000)
    driver.save_screenshot(str(tmp_path / "one-day.png"))
    driver.set_window_size(1280, 1000)

    Select(driver.find_element("id", "tipo")).select_by_visible_text("Pregunta")
    Select(driver.find_element("id", "region")).select_by_visible_text("Lima")
    driver.find_element("id", "aplicar").click()
    wait_for_text(driver, "región Lima")
    wanted = sum(r.feedback_type == "question" and r.region == "Lima" for r in made)
    assert number(driver, "codificados") == wanted
    assert "tipo=question" in driver.current_url and "region=Lima" in driver.current_url
    assert Select(driver.find_element("id", "tipo")).first_selected_option.text == "Pregunta"
    csv_link = driver.find_element("id", "descargar-csv").get_attribute("href")
    assert "tipo=question" in csv_link and "region=Lima" in csv_link


def test_filters_with_a_year_of_data(console, accounts_made, no_tracker, driver, tmp_path):
    from selenium.webdriver.support.ui import Select

    today = hours.local_now().date()
    made = generate(today, days=365, per_day=5, seed=11)
    log_in(driver, console.url)
    driver.find_element("id", "rango-anio").click()
    wait_for_text(driver, "Retroalimentación por mes")
    assert number(driver, "mensajes") == len(made)
    columns = driver.find_elements("css selector", "#grafico-tendencia g.column")
    assert len(columns) in (12, 13)
    labels_apart(driver, "grafico-tendencia")
    driver.set_window_size(1280, 4200)
    driver.save_screenshot(str(tmp_path / "year.png"))

    # The last 120 days go by week; a topic narrows every figure to it.
    start = today.fromordinal(today.toordinal() - 119).isoformat()
    set_date(driver, "desde", start)
    Select(driver.find_element("id", "tema")).select_by_value("shelter")
    driver.find_element("id", "aplicar").click()
    wait_for_text(driver, "Retroalimentación por semana")
    labels_apart(driver, "grafico-tendencia")
    in_range = [r for r in made if r.date.isoformat() >= start and r.topic == "shelter"]
    assert number(driver, "codificados") == len(in_range) > 0
    rows = driver.find_elements("css selector", "#tabla-temas tbody tr")
    assert [row.get_attribute("id") for row in rows] == ["tema-shelter"]
    assert f"desde={start}" in driver.current_url
    # A table beside the chart holds the same figures, for screen readers and printing.
    table = driver.find_element("id", "grafico-tendencia-tabla").get_attribute("textContent")
    assert "semana del" in table
