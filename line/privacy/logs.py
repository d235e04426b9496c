"""Every log line of a process redacted before any handler sees it.

A filter on a logger misses what its children log, and one on handlers misses the
handlers added later (Rasa's structlog and coloredlogs set-up, Sanic's dictConfig).
So `install` puts the filter in the record factory, which every logger of the
process goes through when it creates a record: the message with its %-args, the
traceback and the stack are redacted once, at creation.

Rasa's structlog lines reach the standard library already rendered, as JSON in a
container: escaped letters ("Mar\\u00eda") are read as letters first, or a name
with an accent would slip past the detector.

If redaction fails, the line is still written, with a fixed marker in place of
what it said: a log line is never dropped and never leaks.

The detector loads spaCy, whose thinc imports TensorFlow whenever it is installed
(some 400 MB, never used by the detector): processes without Rasa refuse it.
"""

from __future__ import annotations

import atexit
import logging
import re
import sys
import threading
import traceback

from line.privacy.pii import redact

WITHHELD = "[log line withheld: redaction failed]"
STOPPING = "[log line withheld: process stopping]"
_ESCAPED_LETTER = re.compile(r"\\u([0-9a-fA-F]{4})")
_inside = threading.local()
_lock = threading.Lock()
_replaced = None  # the record factory before `install`, while installed
_refused_tensorflow = False
_stopping = threading.Event()


def _letters(text: str) -> str:
    """JSON's escaped letters unescaped; quotes and control characters stay escaped."""

    def letter(match: re.Match) -> str:
        char = chr(int(match.group(1), 16))
        return char if char.isalpha() else match.group(0)

    return _ESCAPED_LETTER.sub(letter, text) if "\\u" in text else text


class RedactingFilter(logging.Filter):
    """Redacts a record in place and always keeps it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _stopping.is_set():
            # Exit handlers (Sentry's flush) log while the interpreter tears down the
            # libraries spaCy runs on: running the detector then crashes the process.
            record.msg, record.args = STOPPING, ()
            record.exc_info = record.exc_text = record.stack_info = None
            return True
        if getattr(_inside, "redacting", False):
            # Something the detector logged while redacting: no second pass, no loop.
            record.msg, record.args = WITHHELD, ()
            record.exc_info = record.exc_text = record.stack_info = None
            return True
        _inside.redacting = True
        try:
            message = redact(_letters(record.getMessage()))
            trace = record.exc_text
            if record.exc_info and record.exc_info[0] is not None:
                trace = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            trace = redact(_letters(trace)) if trace else None
            stack = redact(record.stack_info) if record.stack_info else None
        except Exception:
            message, trace, stack = WITHHELD, None, None
        finally:
            _inside.redacting = False
        record.msg, record.args = message, ()
        # The traceback as text only: a handler formatting exc_info itself would show it.
        record.exc_info, record.exc_text, record.stack_info = None, trace, stack
        return True


def install(tensorflow: bool = True) -> None:
    """Redact every record this process creates from now on; once per process.
    `tensorflow=False` in a process without Rasa, before anything imports spaCy."""
    global _replaced, _refused_tensorflow
    with _lock:
        if _replaced is not None:
            return
        if not tensorflow and "tensorflow" not in sys.modules:
            sys.modules["tensorflow"] = None  # `import tensorflow` fails
            _refused_tensorflow = True
        make_record = logging.getLogRecordFactory()
        redacting = RedactingFilter()

        def redacted_record(*args, **kwargs) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            redacting.filter(record)
            return record

        logging.setLogRecordFactory(redacted_record)
        _replaced = make_record
        _stopping.clear()
        atexit.register(process_exiting)  # runs before exit handlers registered earlier


def process_exiting() -> None:
    """From now on lines are withheld, not redacted (see RedactingFilter)."""
    _stopping.set()


def uninstall() -> None:
    """Records as before `install`: a test process installs it with each store or server."""
    global _replaced, _refused_tensorflow
    with _lock:
        if _replaced is not None:
            logging.setLogRecordFactory(_replaced)
            atexit.unregister(process_exiting)
            _replaced = None
        if _refused_tensorflow and sys.modules.get("tensorflow", False) is None:
            del sys.modules["tensorflow"]
        _refused_tensorflow = False
