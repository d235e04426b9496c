"""Publishing and rolling back: the files move so the previous model is kept, and every
instance is told through PUT /model and checked to serve it."""

import dataclasses
import sys
from datetime import datetime

import pytest

from line.content import train_content
from line.core import settings as config
from line.training import job, models, runs
from tests.line.training.fakes import RasaInstance, archive

NOW = datetime(2026, 12, 5, 15, 0)


def test_install_keeps_the_previous_and_swap_back_restores_it(tmp_path):
    served = archive(tmp_path / "models" / "line.tar.gz", "v1")
    candidate = archive(tmp_path / "candidate" / "line.tar.gz", "v2")
    models.install(candidate, served)
    assert models.model_id(served) == "v2" and not candidate.exists()
    assert models.model_id(models.previous_of(served)) == "v1"
    models.swap_back(served)
    assert models.model_id(served) == "v1"
    assert models.model_id(models.previous_of(served)) == "v2"  # a rollback can be undone


def test_load_everywhere_checks_each_instance(tmp_path):
    served = archive(tmp_path / "line.tar.gz", "v2")
    with RasaInstance() as one, RasaInstance() as two:
        two.refuse = True
        loaded = models.load_everywhere(served, (one.url, two.url), 5)
    assert one.loaded == [str(served.resolve())] and one.model_id == "v2"
    assert [x.ok for x in loaded] == [True, False] and "500" in loaded[1].error


@pytest.fixture
def home(migrated, tmp_path, monkeypatch):
    def point(*urls):
        monkeypatch.setattr(
            config,
            "settings",
            dataclasses.replace(
                config.settings,
                served_model=tmp_path / "models" / "line.tar.gz",
                training_dir=tmp_path / "training",
                whatsapp_rasa_urls=urls,
            ),
        )
        return config.settings

    return point


def test_a_rollback_serves_the_previous_model_in_every_instance(home, tmp_path):
    with RasaInstance() as one, RasaInstance() as two:
        cfg = home(one.url, two.url)
        archive(cfg.served_model, "v2")
        archive(models.previous_of(cfg.served_model), "v1")
        run_id = runs.start(runs.ROLLBACK, "tito", NOW, 60).run["id"]
        job.Job(run_id, clock=lambda: NOW).run()
        assert one.model_id == two.model_id == "v1"
    done = runs.get(run_id)
    assert done["status"] == runs.ROLLED_BACK and done["model_id"] == "v1"
    assert [i["ok"] for i in done["results"]["instances"]] == [True, True]
    assert runs.current() is None


def test_a_rollback_an_instance_refuses_is_reported(home):
    with RasaInstance() as one:
        one.refuse = True
        cfg = home(one.url)
        archive(cfg.served_model, "v2")
        archive(models.previous_of(cfg.served_model), "v1")
        run_id = runs.start(runs.ROLLBACK, "tito", NOW, 60).run["id"]
        job.Job(run_id, clock=lambda: NOW).run()
    done = runs.get(run_id)
    assert done["status"] == runs.FAILED and one.url in done["error"]
    assert runs.current() is None  # the lease is free again


def test_a_rollback_without_a_previous_model_fails_and_frees_the_lease(home):
    cfg = home("http://127.0.0.1:9")
    archive(cfg.served_model, "v2")
    run_id = runs.start(runs.ROLLBACK, "tito", NOW, 60).run["id"]
    with pytest.raises(FileNotFoundError):
        job.Job(run_id, clock=lambda: NOW).run()
    assert runs.get(run_id)["status"] == runs.FAILED and runs.current() is None


def test_a_command_s_progress_bars_and_log_reach_the_run(home):
    cfg = home()
    run_id = runs.start(runs.PUBLISH, "tito", NOW, 60).run["id"]
    seen = []
    worker = job.Job(run_id, cfg=cfg, clock=lambda: NOW, echo=seen.append)
    worker.folder.mkdir(parents=True)
    script = (
        "import sys\n"
        "print('Finetuning models/line.tar.gz', flush=True)\n"
        "for bar in range(3):\n"
        "    for p in (0, 50, 100):\n"
        "        sys.stdout.write(f'\\rEpochs: {p}%|####|'); sys.stdout.flush()\n"
        "    print()\n"
        "print('done')\n"
    )
    [(code, lines)] = worker.command(job.TRAIN, [sys.executable, "-c", script])
    assert code == 0 and lines[0].startswith("Finetuning") and lines[-1] == "done"
    shown = runs.current()
    assert shown["step"] == job.TRAIN
    # The last bar finished: near the end of the training's share, never past it.
    assert worker.at(job.TRAIN, 0.9) < shown["percent"] < worker.at(job.TEST, 0)
    # A redrawn bar is one line of the log, its latest state, not one line per redraw.
    assert shown["log_tail"].splitlines() == [
        "Finetuning models/line.tar.gz",
        "Epochs: 100%|####|",
        "done",
    ]
    # The terminal gets each bar's start, every tenth and its end, not every redraw.
    assert seen == [
        "Finetuning models/line.tar.gz",
        *["Epochs: 0%|####|", "Epochs: 50%|####|", "Epochs: 100%|####|"] * 3,
        "done",
    ]


def publishing_job(home) -> job.Job:
    run_id = runs.start(runs.PUBLISH, "tito", NOW, 60).run["id"]
    worker = job.Job(run_id, cfg=home(), clock=lambda: NOW)
    worker.folder.mkdir(parents=True)
    return worker


def train_share(worker: job.Job) -> int:
    """The percentage of the whole run its train step spans."""
    return worker.at(job.TEST, 0) - worker.at(job.TRAIN, 0)


def test_a_router_only_refit_weighs_the_training_step_as_its_own_length(home):
    worker = publishing_job(home)
    finetune_share = train_share(worker)
    says = f"print({train_content.ROUTER_ONLY_SAYS + ' in models/line.tar.gz'!r})"
    worker.command(job.TRAIN, [sys.executable, "-c", says])
    assert train_share(worker) < finetune_share * 0.7  # 42 % of the run against 67 %


def test_a_refit_that_becomes_a_finetune_weighs_as_one_and_the_percentage_never_goes_back(home):
    worker = publishing_job(home)
    finetune_share = train_share(worker)
    script = (
        "import sys\n"
        f"print({train_content.ROUTER_ONLY_SAYS!r}, flush=True)\n"
        "sys.stdout.write('\\rIterations: 90%|####|\\n'); sys.stdout.flush()\n"
        f"print({train_content.FINETUNE_SAYS + 'models/line.tar.gz'!r}, flush=True)\n"
    )
    worker.command(job.TRAIN, [sys.executable, "-c", script])
    assert train_share(worker) == finetune_share
    # Under the finetune's larger weight the bar's place is a lower percentage than the
    # refit's weight had shown: the run keeps the higher one.
    low, high = job.BAR_SPANS[job.TRAIN][0]
    assert runs.current()["percent"] > worker.at(job.TRAIN, low + (high - low) * 0.9)


def test_the_tests_run_side_by_side_and_the_first_one_s_bar_is_the_progress(home, tmp_path):
    cfg = home()
    run_id = runs.start(runs.PUBLISH, "tito", NOW, 60).run["id"]
    worker = job.Job(run_id, cfg=cfg, clock=lambda: NOW)
    worker.folder.mkdir(parents=True)

    def waits_for_the_other(me, other, bar):
        # Each ends only once the other has started: one after the other, the first fails.
        return (
            "import pathlib, sys, time\n"
            f"pathlib.Path({str(tmp_path / me)!r}).touch()\n"
            "for _ in range(300):\n"
            f"    if pathlib.Path({str(tmp_path / other)!r}).exists(): break\n"
            "    time.sleep(0.1)\n"
            "else:\n"
            "    sys.exit(3)\n"
            f"print('{me}: {bar}%|####|', flush=True)\n"
            f"print('{me} done')\n"
        )

    (nlu, nlu_lines), (stories, stories_lines) = worker.command(
        job.TEST,
        [sys.executable, "-c", waits_for_the_other("nlu", "stories", 100)],
        [sys.executable, "-c", waits_for_the_other("stories", "nlu", 0)],
    )
    assert (nlu, stories) == (0, 0)
    assert nlu_lines == ["nlu: 100%|####|", "nlu done"]
    assert stories_lines == ["stories: 0%|####|", "stories done"]
    # The NLU test's bar ended, so the step is at its end whatever the stories' bar says.
    assert runs.current()["percent"] == worker.at(job.TEST, 0.99)
