"""The trainers' page: the job's progress on a plain reload and as JSON, the start and
restore buttons (one run at a time), the gate's reasons in plain words, the history."""

import dataclasses
from datetime import datetime

import pytest

from line.core import settings as config
from line.core.db import utc_now
from line.training import gate, job, models, runs
from tests.line.training.fakes import RasaInstance, archive
from tests.line.training.readings import reading


@pytest.fixture
def training_home(database, monkeypatch, tmp_path):
    """The served model and the job's folder in the test's own directory, and no real
    job process: the started command is recorded."""
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(
            config.settings,
            served_model=tmp_path / "models" / "line.tar.gz",
            training_dir=tmp_path / "training",
        ),
    )
    started = []
    monkeypatch.setattr(job, "spawn", lambda argv, log: started.append(argv))
    return started


def test_the_page_shows_the_running_job_and_its_state_as_json(training_home, login):
    run_id = runs.start(runs.PUBLISH, "eva", utc_now(), 60).run["id"]
    runs.progress(run_id, "train", 42, "Epochs:  42%|####", utc_now(), 60)
    tito = login("tito")
    page = tito.get("/entrenamiento")
    assert page.status_code == 200
    assert "Entrenando el modelo nuevo" in page.text and 'value="42"' in page.text
    assert "Probar y publicar</strong>, pedido por eva" in page.text
    assert 'id="publicar"' not in page.text  # no second start while one runs
    state = tito.get("/entrenamiento/estado").json()
    assert state == {
        "running": True,
        "id": run_id,
        "kind": "publish",
        "status": "running",
        "step": "train",
        "percent": 42,
        "log": "Epochs:  42%|####",
    }


def test_a_second_start_is_refused_kindly(training_home, login):
    runs.start(runs.TEST, "eva", utc_now(), 60)
    tito = login("tito")
    refused = tito.post(
        "/entrenamiento/iniciar", data={"csrf": tito.csrf("/entrenamiento"), "modo": "publicar"}
    )
    assert refused.status_code == 409 and "Ya hay un entrenamiento en curso" in refused.text
    assert training_home == [] and len(runs.history()) == 1


def test_the_start_button_starts_the_job_in_its_own_process(training_home, login):
    tito = login("tito")
    done = tito.submit("/entrenamiento", "/entrenamiento/iniciar", modo="publicar")
    assert done.status_code == 200 and done.url.endswith("/entrenamiento")
    current = runs.current()
    assert (current["kind"], current["requested_by"]) == (runs.PUBLISH, "tito")
    assert training_home[0][-3:] == ["-m", "line.training.job", str(current["id"])]
    assert "Preparando" in done.text or "En cola" in done.text
    odd = tito.submit("/entrenamiento", "/entrenamiento/iniciar", modo="otro")
    assert odd.status_code == 422


def test_a_refused_run_says_why_in_plain_words(training_home, login):
    run_id = runs.start(runs.PUBLISH, "tito", datetime(2026, 12, 5, 15), 60).run["id"]
    before = reading(faq=0.9)
    after = reading(
        faq=0.7,
        topics={"shelter": {"accuracy": 0.4, "support": 10}},
        safety_cases=[{"text": "me estan pegando", "predicted": "greet"}],
    )
    reasons = gate.judge(before, after)
    runs.finish(
        run_id,
        runs.REFUSED,
        datetime(2026, 12, 5, 15, 3),
        results={"before": before, "after": after, "training": {"kind": "finetune"}},
        reasons=reasons,
    )
    page = login("eva").get("/entrenamiento")
    assert "No se publicó porque" in page.text
    assert "bajaron de 90.0 % a 70.0 %, más de un punto" in page.text
    assert "Albergues (90.0 % → 40.0 %)" in page.text  # topics by their titles
    assert "Falla una prueba de seguridad" in page.text and "me estan pegando" in page.text
    assert 'id="por-tema"' in page.text and 'id="confusiones"' in page.text
    assert "me puedo quedar en el albergue" in page.text  # the case behind a confusion
    assert '<svg class="chart"' in page.text and "<polyline" in page.text
    assert f'id="corrida-{run_id}"' in page.text and "Rechazado" in page.text
    assert 'id="por-revisar"' in page.text


def test_restore_brings_back_the_previous_model(training_home, login, monkeypatch):
    cfg = config.settings
    archive(cfg.served_model, "v2")
    tito = login("tito")
    assert 'id="restaurar"' not in tito.get("/entrenamiento").text
    archive(models.previous_of(cfg.served_model), "v1")
    assert 'id="restaurar"' in tito.get("/entrenamiento").text
    tito.submit("/entrenamiento", "/entrenamiento/restaurar")
    run_id = runs.current()["id"]
    with RasaInstance() as rasa:
        monkeypatch.setattr(
            config, "settings", dataclasses.replace(config.settings, whatsapp_rasa_urls=(rasa.url,))
        )
        job.Job(run_id).run()  # what the started process does
        assert rasa.model_id == "v1"
    page = tito.get("/entrenamiento")
    assert f'id="corrida-{run_id}"' in page.text and "Modelo anterior restaurado" in page.text


def test_only_trainers_editors_and_coordinators_open_the_page(training_home, login):
    for name in ("tito", "eva", "coco"):
        assert login(name).get("/entrenamiento").status_code == 200
    ana = login("ana")
    assert ana.get("/entrenamiento").status_code == 403
    assert ana.get("/entrenamiento/estado").status_code == 403
    posted = ana.post("/entrenamiento/iniciar", data={"csrf": ana.csrf("/"), "modo": "publicar"})
    assert posted.status_code == 403 and runs.history() == []


def test_in_a_browser_the_button_clicked_decides_the_kind_of_run(
    training_home, console, accounts_made, driver
):
    """console.js guards against double clicks by disabling the buttons: only after the
    browser has read the form, or the clicked button's value would be lost."""
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.console.conftest import PASSWORD

    driver.get(console.url + "/login")
    driver.find_element("id", "usuario").send_keys("tito")
    driver.find_element("id", "clave").send_keys(PASSWORD)
    driver.find_element("id", "entrar").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements("id", "publicar"))
    driver.find_element("id", "publicar").click()
    WebDriverWait(driver, 10).until(lambda d: runs.current() is not None)
    assert runs.current()["kind"] == runs.PUBLISH
