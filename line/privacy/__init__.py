"""Privacy of the people who write to the line: finding and redacting their
personal data in messages (phone numbers, e-mails, identity documents, bank
accounts, addresses, names; pii.py), the retention sweep that deletes what is
kept longer than needed, and people's rights over their data (access,
erasure). Keyed pseudonyms of senders are not here: they belong to the core
(line/core/pseudonyms.py).
"""

from __future__ import annotations

from line.privacy.pii import Finding, detect, redact

__all__ = ["Finding", "detect", "redact"]
