"""The training job: finetune a candidate, test it, judge it, and publish it or not.

It runs in its own process (`python -m line.training.job RUN_ID`, started by the console
or in the foreground by `make publish`), drives Rasa only through its commands, and
writes each step, its percentage and the log's last lines to the run's row while renewing
the lease, so the page follows it across refreshes and restarts and a crashed job frees
the lease by letting it expire.
"""

from __future__ import annotations

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

from line.content.train_content import FINETUNE_SAYS, FULL_SAYS, ROUTER_ONLY_SAYS
from line.core import settings as config
from line.core.db import utc_now
from line.training import gate, models, results, runs

PROJECT_ROOT = config.PROJECT_ROOT
NLU_TESTS = "tests/nlu"
TEST_STORIES = "tests/test_stories.yml"
RASA_TEST, NO_PLOT = [sys.executable, "-m", "rasa", "test"], "--no-plot"
# Steps, in order, with the share of the whole run each ends at.
PREPARE, BASELINE, TRAIN, TEST, COMPARE, PUBLISH_STEP, ROLLBACK_STEP = (
    "prepare",
    "baseline",
    "train",
    "test",
    "compare",
    "publish",
    "rollback",
)
STEPS = (PREPARE, BASELINE, TRAIN, TEST, COMPARE, PUBLISH_STEP)
# Seconds each step took on this machine (2 shared cores, load 4-6; docs/training.md
# "Figures"; train and test scaled by what the router's warm start and the side-by-side
# tests saved): the percentage weighs the steps a run does by them. Within a step it
# follows the time spent against this, or Rasa's progress bars when they are further, and
# stays short of the step's end until the step is done.
STEP_SECONDS = {
    PREPARE: 3,
    BASELINE: 95,
    TRAIN: 373,
    TEST: 73,
    COMPARE: 1,
    PUBLISH_STEP: 15,
    ROLLBACK_STEP: 15,
}
# A router-only refit instead of a finetune: 75 s on a quiet machine (docs/training.md,
# "Examples only"), scaled to the load above as the finetune was. Its train step is
# weighed by this from the moment train_content says so.
ROUTER_ONLY_TRAIN_SECONDS = 135
# Where in its step each progress bar a command draws runs, as shares of the step: a
# test loads the model, then draws one bar over its cases; a finetune reads and
# featurizes every example, then draws DIET's and the ResponseSelector's epochs, trains
# the line's router without a bar (a third of the time), then TED's epochs.
BAR_SPANS = {
    BASELINE: ((0.6, 0.99),),
    TRAIN: ((0.26, 0.42), (0.42, 0.6), (0.93, 0.96)),
    TEST: ((0.6, 0.99),),
}
BEFORE_THE_END = 0.95  # the most a step shows by its time alone
BAR = re.compile(r"(\d{1,3})%\|")
HEARTBEAT_SECONDS = 3.0
# What train_content printed, read into the kind of training it did.
FINETUNED, ROUTER_ONLY, FULL, UNCHANGED = "finetune", "router", "full", "unchanged"
FULL_BECAUSE = re.compile(re.escape(FULL_SAYS) + r" \(.*?\), because (.*)\.$")


class CommandFailed(RuntimeError):
    def __init__(self, step: str, code: int):
        super().__init__(f"{step} exited with {code}")
        self.step = step


def command_env() -> dict:
    """Rasa's commands run in the content checkout (settings.content_root) with this
    checkout's code importable (the line's components), their output unbuffered so the
    log follows them, and without the libraries' deprecation warnings, which would fill
    the log's last lines on the page."""
    return config.child_environment(
        PROJECT_ROOT,
        PYTHONUNBUFFERED="1",
        PYTHONWARNINGS="ignore",
        TF_CPP_MIN_LOG_LEVEL="2",
        RASA_TELEMETRY_ENABLED="false",
    )


def candidate_path(cfg) -> Path:
    return cfg.training_dir / "candidate" / cfg.served_model.name


def run_folder(cfg, run_id: int) -> Path:
    return cfg.training_dir / "runs" / str(run_id)


def nlu_test(model: Path, out: Path) -> list:
    """`rasa test nlu` on tests/nlu: intent and FAQ figures (results.read_nlu)."""
    return [
        *RASA_TEST,
        "nlu",
        "--model",
        str(model),
        "--nlu",
        NLU_TESTS,
        "--out",
        str(out),
        NO_PLOT,
    ]


def stories_test(model: Path, out: Path) -> list:
    """`rasa test core --e2e` on the test stories (results.stories_verdict)."""
    return [
        *RASA_TEST,
        "core",
        "--model",
        str(model),
        "--stories",
        TEST_STORIES,
        "--e2e",
        "--out",
        str(out),
        NO_PLOT,
    ]


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
        self.plan: tuple = STEPS  # the steps this run does, set when it starts
        self.seconds = dict(STEP_SECONDS)  # the train step's seconds follow its kind
        self.folder = run_folder(self.cfg, run_id)

    # --- progress ----------------------------------------------------------------

    def at(self, step: str, fraction: float) -> int:
        """The run's percentage when `step` is `fraction` done, the steps of this run
        weighed by their usual seconds."""
        total = sum(self.seconds[s] for s in self.plan)
        before = sum(self.seconds[s] for s in self.plan[: self.plan.index(step)])
        return int(100 * (before + fraction * self.seconds[step]) / total)

    def say(self, step: str, fraction: float = 0.0) -> None:
        self.step, self.percent = step, self.at(step, fraction)
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

    def _weigh_training_by(self, line: str) -> None:
        """A router-only refit takes a fraction of a finetune: the percentage follows
        the kind train_content announces, so it does not jump at the end."""
        if line.startswith(ROUTER_ONLY_SAYS):
            self.seconds[TRAIN] = ROUTER_ONLY_TRAIN_SECONDS
        elif line.startswith((FINETUNE_SAYS, FULL_SAYS)):
            self.seconds[TRAIN] = STEP_SECONDS[TRAIN]

    def command(self, step: str, *argvs: list) -> list[tuple[int, list[str]]]:
        """Runs commands side by side, their output into the log tail and the first one's
        progress bars into the step's share, renewing the lease while they run. Returns
        each one's code and lines."""
        self.say(step)
        started, done = time.monotonic(), 0.0
        procs = [
            subprocess.Popen(
                argv,
                cwd=self.cfg.content_root,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=command_env(),
            )
            for argv in argvs
        ]
        lines: "queue.Queue[tuple[int, Optional[str]]]" = queue.Queue()

        def read(index: int, proc: subprocess.Popen) -> None:
            pending = b""
            while chunk := proc.stdout.read1(4096):
                pending += chunk
                *whole, pending = re.split(rb"[\r\n]", pending)
                for part in whole:
                    if part.strip():
                        lines.put((index, part.decode("utf-8", "replace").rstrip()))
            if pending.strip():
                lines.put((index, pending.decode("utf-8", "replace").rstrip()))
            lines.put((index, None))

        for index, proc in enumerate(procs):
            threading.Thread(target=read, args=(index, proc), daemon=True).start()
        everything: list[list[str]] = [[] for _ in procs]
        last, echoed = [0.0] * len(procs), [-1.0] * len(procs)
        running, bars_done, beat = len(procs), 0, time.monotonic()
        log = (self.folder / "job.log").open("a", encoding="utf-8", buffering=1)
        try:
            while running:
                try:
                    index, line = lines.get(timeout=HEARTBEAT_SECONDS)
                except queue.Empty:
                    index, line = 0, ""
                if line is None:
                    running -= 1
                elif line:
                    everything[index].append(line)
                    log.write(line + "\n")
                    if step == TRAIN:
                        self._weigh_training_by(line)
                    found = BAR.findall(line)
                    if found:
                        share = int(found[-1]) / 100
                        if share < last[index] - 0.5:
                            bars_done += index == 0
                            echoed[index] = -1.0
                        last[index] = share
                        if index == 0:
                            spans = BAR_SPANS.get(step, ((0.0, 0.99),))
                            low, high = spans[min(bars_done, len(spans) - 1)]
                            done = max(done, low + (high - low) * share)
                    # A progress bar redraws many times a second: the log's last lines
                    # keep its latest state, the terminal a line every tenth.
                    if found and self.tail and BAR.search(self.tail[-1]):
                        self.tail[-1] = line
                        if self.echo and (share >= echoed[index] + 0.1 or share == 1):
                            self.echo(line)
                            echoed[index] = share
                    else:
                        self._line(line)
                        echoed[index] = share if found else echoed[index]
                done = max(
                    done, min(BEFORE_THE_END, (time.monotonic() - started) / self.seconds[step])
                )
                # Never back: a refit that turns into a finetune weighs more again.
                self.percent = max(self.percent, self.at(step, done))
                if time.monotonic() - beat >= HEARTBEAT_SECONDS:
                    self._beat()
                    beat = time.monotonic()
        except runs.LeaseLost:
            for proc in procs:
                proc.kill()
            raise
        finally:
            log.close()
        codes = [proc.wait() for proc in procs]
        self._beat()
        return list(zip(codes, everything, strict=True))

    # --- the steps -------------------------------------------------------------------

    def nlu_results(self, step: str, code: int, out: Path) -> Optional[dict]:
        if code != 0:
            raise CommandFailed(step, code)
        return results.read_nlu(out, self.cfg.content_root / NLU_TESTS)

    def train(self, candidate: Path) -> dict:
        [(code, lines)] = self.command(
            TRAIN, [sys.executable, "-m", "line.content.train_content", "--model", str(candidate)]
        )
        if code != 0:
            raise CommandFailed(TRAIN, code)
        for line in lines:
            full = FULL_BECAUSE.search(line)
            if full:
                return {"kind": FULL, "why": full.group(1)}
        if any(line.startswith(FINETUNE_SAYS) for line in lines):
            return {"kind": FINETUNED, "why": ""}
        if any(line.startswith(ROUTER_ONLY_SAYS) for line in lines):
            return {"kind": ROUTER_ONLY, "why": ""}
        return {"kind": UNCHANGED, "why": ""}

    def test_and_judge(self, publish: bool) -> None:
        cfg = self.cfg
        served, candidate = cfg.served_model, candidate_path(cfg)
        self.folder.mkdir(parents=True, exist_ok=True)
        if not served.exists():
            raise FileNotFoundError(served)
        serving_id = models.model_id(served)
        before = runs.latest_results_for(serving_id) if serving_id else None
        self.plan = tuple(
            s for s in STEPS if (s != BASELINE or before is None) and (s != PUBLISH_STEP or publish)
        )
        self.say(PREPARE)
        models.copy_model(served, candidate)
        if before is None:  # the serving model was never tested here: test it first
            [(code, _)] = self.command(BASELINE, nlu_test(served, self.folder / "before"))
            before = self.nlu_results(BASELINE, code, self.folder / "before")
        training = self.train(candidate)
        candidate_id = models.model_id(candidate)
        runs.record(self.run_id, model_id=candidate_id)
        # Side by side: each mostly starts Rasa and loads the model, on a core of its own.
        (nlu_code, _), (stories_code, _) = self.command(
            TEST,
            nlu_test(candidate, self.folder / "nlu"),
            stories_test(candidate, self.folder / "core"),
        )
        after = self.nlu_results(TEST, nlu_code, self.folder / "nlu")
        verdict = results.stories_verdict(self.folder / "core", cfg.content_root / TEST_STORIES)
        if verdict is None:
            raise CommandFailed(TEST, stories_code)
        after.update(verdict)
        self.say(COMPARE)
        reasons = gate.judge(before, after)
        outcome = {"before": before, "after": after, "training": training, "serving_id": serving_id}
        runs.record(self.run_id, results=outcome, reasons=reasons)
        if reasons or not publish:
            runs.finish(self.run_id, runs.REFUSED if reasons else runs.PASSED, self.clock())
            return
        self.say(PUBLISH_STEP)
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
        self.plan = (ROLLBACK_STEP,)
        self.say(ROLLBACK_STEP)
        models.swap_back(self.cfg.served_model)
        restored = models.model_id(self.cfg.served_model)
        runs.record(self.run_id, model_id=restored)
        self.say(ROLLBACK_STEP, 0.1)
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
