"""The training job: finetune a candidate, test it, judge it, and publish it or not.

It runs in its own process (`python -m line.training.job RUN_ID`, started by the console
or in the foreground by `make publish`), drives Rasa only through its commands, and
writes each step, its percentage and the log's last lines to the run's row while renewing
the lease, so the page follows it across refreshes and restarts and a crashed job frees
the lease by letting it expire.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections import deque
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

from line.core import settings as config
from line.core.db import utc_now
from line.training import gate, models, results, runs

PROJECT_ROOT = config.PROJECT_ROOT
NLU_TESTS = "tests/nlu"
TEST_STORIES = "tests/test_stories.yml"
# Steps, in order, with the share of the whole run each ends at.
PREPARE, BASELINE, TRAIN, TEST_NLU, TEST_STORIES_STEP, COMPARE, PUBLISH_STEP, ROLLBACK_STEP = (
    "prepare",
    "baseline",
    "train",
    "test_nlu",
    "test_stories",
    "compare",
    "publish",
    "rollback",
)
STEPS = (PREPARE, BASELINE, TRAIN, TEST_NLU, TEST_STORIES_STEP, COMPARE, PUBLISH_STEP)
ENDS_AT = {
    PREPARE: 2,
    BASELINE: 15,
    TRAIN: 60,
    TEST_NLU: 80,
    TEST_STORIES_STEP: 92,
    COMPARE: 94,
    PUBLISH_STEP: 100,
}
# Progress bars one command draws: the three trained components (DIET, ResponseSelector,
# TED) for the training, one for a test.
TRAIN_BARS = 3
BAR = re.compile(r"(\d{1,3})%\|")
HEARTBEAT_SECONDS = 3.0
# What train_content printed, read into the kind of training it did.
FINETUNED, FULL, UNCHANGED = "finetune", "full", "unchanged"
FULL_BECAUSE = re.compile(r"Full training from scratch \(.*?\), because (.*)\.$")


class CommandFailed(RuntimeError):
    def __init__(self, step: str, code: int):
        super().__init__(f"{step} exited with {code}")
        self.step = step


def candidate_path(cfg) -> Path:
    return cfg.training_dir / "candidate" / cfg.served_model.name


def run_folder(cfg, run_id: int) -> Path:
    return cfg.training_dir / "runs" / str(run_id)


class Job:
    """One run, from its row to its end. `clock` gives naive UTC; `echo` gets each log
    line (the terminal, for `make publish`)."""

    def __init__(
        self,
        run_id: int,
        cfg=None,
        clock: Callable[[], datetime] = utc_now,
        echo: Optional[Callable[[str], None]] = None,
    ):
        self.run_id = run_id
        self.cfg = cfg or config.settings
        self.clock = clock
        self.echo = echo
        self.tail: deque = deque(maxlen=runs.LOG_TAIL_LINES)
        self.step = PREPARE
        self.percent = 0
        self.folder = run_folder(self.cfg, run_id)

    # --- progress ----------------------------------------------------------------

    def say(self, step: str, percent: int, line: Optional[str] = None) -> None:
        self.step, self.percent = step, percent
        if line is not None:
            self._line(line)
        self._beat()

    def _line(self, line: str) -> None:
        self.tail.append(line)
        if self.echo:
            self.echo(line)

    def _beat(self) -> None:
        runs.progress(
            self.run_id,
            self.step,
            self.percent,
            "\n".join(self.tail),
            self.clock(),
            self.cfg.training_lease_seconds,
        )

    def command(self, step: str, argv: list, bars: int = 1) -> tuple[int, list[str]]:
        """Runs one command, its output into the log tail and its progress bars into the
        step's share, renewing the lease while it runs. Returns its code and its lines."""
        start = ENDS_AT[STEPS[STEPS.index(step) - 1]] if step != PREPARE else 0
        span = ENDS_AT[step] - start
        self.say(step, start)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false"}
        proc = subprocess.Popen(
            argv, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
        )
        lines: "queue.Queue[Optional[str]]" = queue.Queue()

        def read() -> None:
            pending = b""
            while chunk := proc.stdout.read1(4096):
                pending += chunk
                *whole, pending = re.split(rb"[\r\n]", pending)
                for part in whole:
                    if part.strip():
                        lines.put(part.decode("utf-8", "replace").rstrip())
            if pending.strip():
                lines.put(pending.decode("utf-8", "replace").rstrip())
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        everything, bars_done, last, beat = [], 0, 0.0, time.monotonic()
        log = (self.folder / "job.log").open("a", encoding="utf-8")
        try:
            while True:
                try:
                    line = lines.get(timeout=HEARTBEAT_SECONDS)
                except queue.Empty:
                    line = ""
                if line is None:
                    break
                if line:
                    everything.append(line)
                    log.write(line + "\n")
                    found = BAR.findall(line)
                    if found:
                        share = int(found[-1]) / 100
                        if share < last - 0.5:
                            bars_done += 1
                        last = share
                        done = min(0.99, (bars_done + share) / bars)
                        self.percent = start + int(span * done)
                    # A progress bar redraws many times a second: keep its latest state.
                    if found and self.tail and BAR.search(self.tail[-1]):
                        self.tail[-1] = line
                    else:
                        self._line(line)
                if time.monotonic() - beat >= HEARTBEAT_SECONDS:
                    self._beat()
                    beat = time.monotonic()
        except runs.LeaseLost:
            proc.kill()
            raise
        finally:
            log.close()
        code = proc.wait()
        self._beat()
        return code, everything

    # --- the steps -------------------------------------------------------------------

    def rasa_test_nlu(self, step: str, model: Path, out: Path) -> Optional[dict]:
        code, _ = self.command(
            step,
            [
                sys.executable,
                "-m",
                "rasa",
                "test",
                "nlu",
                "--model",
                str(model),
                "--nlu",
                NLU_TESTS,
                "--out",
                str(out),
                "--no-plot",
            ],
        )
        if code != 0:
            raise CommandFailed(step, code)
        return results.read_nlu(out)

    def train(self, candidate: Path) -> dict:
        code, lines = self.command(
            TRAIN,
            [sys.executable, "-m", "line.content.train_content", "--model", str(candidate)],
            bars=TRAIN_BARS,
        )
        if code != 0:
            raise CommandFailed(TRAIN, code)
        for line in lines:
            full = FULL_BECAUSE.search(line)
            if full:
                return {"kind": FULL, "why": full.group(1)}
        if any(line.startswith("Finetuning ") for line in lines):
            return {"kind": FINETUNED, "why": ""}
        return {"kind": UNCHANGED, "why": ""}

    def test_and_judge(self, publish: bool) -> None:
        cfg = self.cfg
        served, candidate = cfg.served_model, candidate_path(cfg)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.say(PREPARE, 0)
        if not served.exists():
            raise FileNotFoundError(served)
        serving_id = models.model_id(served)
        models.copy_model(served, candidate)
        before = runs.latest_results_for(serving_id) if serving_id else None
        if before is None:  # the serving model was never tested here: test it first
            before = self.rasa_test_nlu(BASELINE, served, self.folder / "before")
        training = self.train(candidate)
        candidate_id = models.model_id(candidate)
        runs.record(self.run_id, model_id=candidate_id)
        after = self.rasa_test_nlu(TEST_NLU, candidate, self.folder / "nlu")
        code, _ = self.command(
            TEST_STORIES_STEP,
            [
                sys.executable,
                "-m",
                "rasa",
                "test",
                "core",
                "--model",
                str(candidate),
                "--stories",
                TEST_STORIES,
                "--e2e",
                "--out",
                str(self.folder / "core"),
                "--no-plot",
            ],
        )
        verdict = results.stories_verdict(self.folder / "core", PROJECT_ROOT / TEST_STORIES)
        if verdict is None:
            raise CommandFailed(TEST_STORIES_STEP, code)
        after.update(verdict)
        self.say(COMPARE, ENDS_AT[TEST_STORIES_STEP])
        reasons = gate.judge(before, after)
        outcome = {"before": before, "after": after, "training": training, "serving_id": serving_id}
        runs.record(self.run_id, results=outcome, reasons=reasons)
        if reasons or not publish:
            runs.finish(self.run_id, runs.REFUSED if reasons else runs.PASSED, self.clock())
            return
        self.say(PUBLISH_STEP, ENDS_AT[COMPARE])
        models.install(candidate, served)
        self.finish_loading(outcome, runs.PUBLISHED)

    def finish_loading(self, outcome: dict, status: str) -> None:
        """Loads the served model into every instance and ends the run by what they say."""
        loaded = models.load_everywhere(
            self.cfg.served_model, self.cfg.whatsapp_rasa_urls, self.cfg.model_load_timeout_seconds
        )
        outcome["instances"] = [vars(x) for x in loaded]
        failed = [x for x in loaded if not x.ok]
        runs.finish(
            self.run_id,
            runs.FAILED if failed else status,
            self.clock(),
            results=outcome,
            error="; ".join(f"{x.url}: {x.error}" for x in failed) or None,
        )

    def rollback(self) -> None:
        self.say(ROLLBACK_STEP, 10)
        models.swap_back(self.cfg.served_model)
        restored = models.model_id(self.cfg.served_model)
        runs.record(self.run_id, model_id=restored)
        self.say(ROLLBACK_STEP, 40)
        self.finish_loading({"restored": restored}, runs.ROLLED_BACK)

    def run(self) -> None:
        """The whole run; any error ends it FAILED with the error, and frees the lease."""
        run = runs.get(self.run_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            if run["kind"] == runs.ROLLBACK:
                self.rollback()
            else:
                self.test_and_judge(publish=run["kind"] == runs.PUBLISH)
        except runs.LeaseLost:
            return  # another run took over: this one is already marked abandoned
        except Exception as exc:  # noqa: BLE001 - whatever stopped it is shown on the page
            runs.finish(
                self.run_id, runs.FAILED, self.clock(), error=f"{type(exc).__name__}: {exc}"
            )
            raise


def spawn(argv: list, log: Path) -> None:
    """A process of its own session, so it outlives the console that started it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        subprocess.Popen(
            argv,
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def launch(kind: str, who: str, now: datetime) -> runs.Started:
    """Starts a run in its own process; Busy when one runs."""
    cfg = config.settings
    started = runs.start(kind, who, now, cfg.training_lease_seconds)
    run_id = started.run["id"]
    try:
        spawn(
            [sys.executable, "-m", "line.training.job", str(run_id)],
            run_folder(cfg, run_id) / "process.log",
        )
    except OSError as exc:
        runs.finish(run_id, runs.FAILED, now, error=f"{type(exc).__name__}: {exc}")
        raise
    return started


def main(argv: list[str]) -> int:
    Job(int(argv[1])).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
