"""Log lines redacted before any handler sees them (line/privacy/logs.py): in the
message, in its %-args, in a traceback, in Rasa's JSON lines; a failure never
drops a line; and in a real process, handlers added after `install` see only
redacted records."""

import io
import logging
import subprocess
import sys
import uuid

import pytest

from line.privacy import logs
from tests.support.requirements import ROOT

PHONE, DNI, NAME = "987654321", "45678912", "Yuleisy Carrasquel"


@pytest.fixture
def logged():
    """A fresh logger with its own handler, created after `install`; what it wrote."""
    logs.install()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(f"test.logs.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream.getvalue
    logs.uninstall()


def assert_no_identifiers(text):
    assert PHONE not in text and DNI not in text and "Yuleisy" not in text
    assert "Carrasquel" not in text


def test_the_message_is_redacted(logged):
    logger, written = logged
    logger.debug(f"me llamo {NAME}, mi DNI es {DNI} y mi celular {PHONE}")
    assert_no_identifiers(written())
    assert "<NOMBRE>" in written() and "<DOCUMENTO>" in written()
    assert "<TELEFONO>" in written() and "DEBUG" in written()


def test_the_args_are_redacted(logged):
    logger, written = logged
    logger.warning("texto de %s: %r (%d)", "ana", f"soy {NAME}, DNI {DNI}, cel {PHONE}", 3)
    assert_no_identifiers(written())
    assert "texto de ana" in written() and "(3)" in written()


def test_a_traceback_is_redacted(logged):
    logger, written = logged
    try:
        raise ValueError(f"no encontré a {NAME} con DNI {DNI}, cel {PHONE}")
    except ValueError:
        logger.exception("fallo al leer un mensaje")
    assert_no_identifiers(written())
    assert "Traceback" in written() and "ValueError: no encontré a <NOMBRE>" in written()


def test_rasa_json_lines_are_read_with_their_escaped_letters(logged):
    logger, written = logged
    logger.info('{"event": "user", "text": "soy Mar\\u00eda Gonz\\u00e1lez, cel %s"}' % PHONE)
    assert "Gonz" not in written() and PHONE not in written()
    assert '"event": "user"' in written()


def test_a_failed_redaction_keeps_the_line_with_a_marker(logged, monkeypatch):
    logger, written = logged

    def broken(text):
        raise RuntimeError("detector down")

    monkeypatch.setattr(logs, "redact", broken)
    logger.error("mi DNI es %s", DNI)
    assert DNI not in written()
    assert f"ERROR {logs.WITHHELD}" in written()


def test_installed_once():
    logs.install()
    factory = logging.getLogRecordFactory()
    logs.install()
    assert logging.getLogRecordFactory() is factory
    logs.uninstall()
    assert logging.getLogRecordFactory() is not factory


SCRIPT = f"""
import logging, sys
from line.privacy import logs
logs.install(tensorflow=False)
logging.basicConfig(level=logging.INFO, stream=sys.stdout)
logging.getLogger("gateway").info("llegó: %s, DNI {DNI}", "me llamo {NAME}")
try:
    {{}}["{PHONE}"]
except KeyError:
    logging.getLogger("console").exception("no está")
print("tensorflow", sys.modules.get("tensorflow"))
"""


def test_a_process_logs_only_redacted_lines():
    """As the gateway and the console start: handlers come after `install`, and
    spaCy's thinc does not pull TensorFlow into a process without Rasa."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert_no_identifiers(done.stdout + done.stderr)
    assert "INFO:gateway:llegó: me llamo <NOMBRE>, DNI <DOCUMENTO>" in done.stdout
    assert "KeyError: '<TELEFONO>'" in done.stdout
    assert "tensorflow None" in done.stdout


def test_while_the_process_exits_lines_are_withheld_without_running_the_detector(
    logged, monkeypatch
):
    """Exit handlers log while the libraries spaCy needs are torn down (a crash)."""
    logger, written = logged

    def no_detector(text):
        raise AssertionError("the detector ran while the process was stopping")

    monkeypatch.setattr(logs, "redact", no_detector)
    logs.process_exiting()  # what the exit handler does; `install` starts anew
    logger.debug("flushing %s events for %s", 3, NAME)
    assert written().strip() == f"DEBUG {logs.STOPPING}"
