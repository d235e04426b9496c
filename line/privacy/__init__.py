"""Privacy of the people who write to the line: finding and redacting their
personal data in messages (phone numbers, e-mails, identity documents, bank
accounts, addresses, names; pii.py), the retention sweep that deletes what is
kept longer than needed, and people's rights over their data (access,
erasure). Keyed pseudonyms of senders are not here: they belong to the core.

Until line/privacy.py moves to line/core/pseudonyms.py, this package stands in
front of it: its public names are re-exported below so `from line import
privacy; privacy.pseudonym(...)` keeps working. The block goes with that move.
"""
from __future__ import annotations

import importlib.util as _importlib_util
import sys as _sys
from pathlib import Path as _Path

from line.privacy.pii import Finding, detect, redact

__all__ = ["Finding", "detect", "redact"]

_PSEUDONYMS = _Path(__file__).resolve().parent.parent / "privacy.py"
if _PSEUDONYMS.exists():
    _spec = _importlib_util.spec_from_file_location("line._pseudonyms", _PSEUDONYMS)
    _module = _importlib_util.module_from_spec(_spec)
    _sys.modules[_spec.name] = _module
    _spec.loader.exec_module(_module)
    PREFIX, MissingSecret = _module.PREFIX, _module.MissingSecret
    normalize, pseudonym, message_key = _module.normalize, _module.pseudonym, _module.message_key
    __all__ += ["PREFIX", "MissingSecret", "normalize", "pseudonym", "message_key"]
