"""`make report`: the coordinators' feedback report, from the line's own database.

Codes new conversations first (line/feedback/coding.py, `ingest`), then writes to one folder:
feedback.csv (IFRC codebook columns, no phone numbers, names or sender ids),
PNG charts, and index.html, which embeds the charts by relative path so the
folder can be zipped and sent as it is. Unresolved texts appear only in the HTML,
for the content team: redacted when they were stored, and again when quoted, for rows
coded before the line had its detector.
"""

from __future__ import annotations

import argparse
import csv
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from jinja2 import Environment, FileSystemLoader, select_autoescape  # noqa: E402
from sqlalchemy import select  # noqa: E402

from line.core import db, topics
from line.core import settings as config  # noqa: E402
from line.core.db import session_scope, utc_now  # noqa: E402
from line.core.text import normalise  # noqa: E402
from line.directory import store
from line.feedback import coding, erasure, ratings  # noqa: E402
from line.feedback.coding import Feedback  # noqa: E402
from line.handoff.tickets import Ticket  # noqa: E402
from line.privacy import redact  # noqa: E402

TEMPLATES = Path(__file__).parent / "templates"
CSV_COLUMNS = ("date", "channel", "feedback_type", "topic", "region", "sensitive", "status")
TOP_UNRESOLVED = 20
TOP_TOPICS = 15


@dataclass(frozen=True)
class Report:
    folder: Path
    ingested: Optional[int]  # None: no tracker store to read
    coded: int


def _rows() -> list[Feedback]:
    with session_scope() as session:
        return list(
            session.execute(select(Feedback).order_by(Feedback.date, Feedback.timestamp)).scalars()
        )


def write_csv(rows: list[Feedback], path: Path) -> None:
    """Only coded feedback, only codebook columns: nothing that identifies anyone."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            if row.feedback_type:
                writer.writerow(
                    [
                        row.date.isoformat(),
                        row.channel,
                        row.feedback_type,
                        row.topic or "",
                        row.region or "",
                        "yes" if row.sensitive else "no",
                        row.status,
                    ]
                )


def _bar_chart(counts: Counter, title: str, path: Path) -> Optional[str]:
    """Horizontal bars, largest on top (long topic ids stay readable), or None
    when there is nothing to draw."""
    if not counts:
        return None
    labels, values = zip(*counts.most_common(), strict=True)
    figure, axes = plt.subplots(figsize=(8, max(3, 0.35 * len(labels) + 1)))
    axes.barh(labels[::-1], values[::-1], color="#d52b1e")
    axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path.name


def _per_day_chart(rows: list[Feedback], path: Path) -> Optional[str]:
    per_day = Counter(row.date for row in rows)
    if not per_day:
        return None
    days = sorted(per_day)
    figure, axes = plt.subplots(figsize=(8, 3.5))
    axes.bar(days, [per_day[d] for d in days], color="#d52b1e")
    axes.set_title("Messages per day")
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path.name


def charts(rows: list[Feedback], folder: Path) -> dict[str, Optional[str]]:
    """File names of the charts (relative to the report), by what they show."""
    coded = [row for row in rows if row.feedback_type]
    return {
        "per_day": _per_day_chart(rows, folder / "messages_per_day.png"),
        "by_type": _bar_chart(
            Counter(r.feedback_type for r in coded),
            "Feedback by type",
            folder / "feedback_by_type.png",
        ),
        "by_topic": _bar_chart(
            Counter(dict(Counter(r.topic for r in coded).most_common(TOP_TOPICS))),
            f"Feedback by topic (top {TOP_TOPICS})",
            folder / "feedback_by_topic.png",
        ),
        "by_region": _bar_chart(
            Counter(r.region or "unknown" for r in coded),
            "Feedback by region",
            folder / "feedback_by_region.png",
        ),
    }


def unresolved(rows: list[Feedback], limit: int = TOP_UNRESOLVED) -> list[dict]:
    """The unresolved questions asked most often (same words, any spelling): not found or
    handed to a person, not the answers the content team reviews for being unsure or 👎."""
    groups: dict[str, list[Feedback]] = {}
    for row in rows:
        if row.text and row.review not in (coding.NOT_USEFUL, coding.LOW_CONFIDENCE_ANSWER):
            groups.setdefault(normalise(row.text), []).append(row)
    ranked = sorted(groups.values(), key=lambda g: (-len(g), -g[-1].timestamp))
    return [
        {
            "text": redact(group[-1].text),
            "count": len(group),
            "last": group[-1].date,
            "handed_off": sum(r.handoff for r in group),
        }
        for group in ranked[:limit]
    ]


def handoffs(now: Optional[datetime] = None) -> dict:
    """Tickets by reason and status, and how long people waited for an operator."""
    now = now or utc_now()
    with session_scope() as session:
        tickets = session.execute(
            select(Ticket.reason, Ticket.status, Ticket.created_at, Ticket.claimed_at)
        ).all()
    waits = sorted(
        (t.claimed_at - t.created_at).total_seconds() / 60 for t in tickets if t.claimed_at
    )
    waiting = [(now - t.created_at).total_seconds() / 60 for t in tickets if t.status == "waiting"]
    return {
        "total": len(tickets),
        "by_reason": Counter(t.reason for t in tickets).most_common(),
        "by_status": Counter(t.status for t in tickets).most_common(),
        "claimed": len(waits),
        "median_wait": statistics.median(waits) if waits else None,
        "p90_wait": waits[int(0.9 * (len(waits) - 1))] if waits else None,
        "longest_current_wait": max(waiting) if waiting else None,
    }


def build(folder: Path) -> Report:
    """Code what is new in the tracker store, then write the whole report."""
    db.migrate()
    available = coding.tracker_available()
    if available:
        erasure.sweep()  # erased conversations must never reach a report
    ingested = coding.ingest() if available else None
    folder.mkdir(parents=True, exist_ok=True)
    rows = _rows()
    write_csv(rows, folder / "feedback.csv")
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
    )
    coded = [row for row in rows if row.feedback_type]
    html = environment.get_template("report.html").render(
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
        tracker_missing=ingested is None,
        messages=len(rows),
        coded=len(coded),
        sensitive=sum(r.sensitive for r in coded),
        first=rows[0].date if rows else None,
        last=rows[-1].date if rows else None,
        charts=charts(rows, folder),
        unresolved=unresolved(rows),
        handoffs=handoffs(),
        ratings=ratings.per_topic(),
        titles=topics.faq_titles(),
        erasures=erasure.count_completed(),
        stale=store.stale(),
    )
    (folder / "index.html").write_text(html, encoding="utf-8")
    return Report(folder, ingested, len(coded))


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=config.PROJECT_ROOT / "reports")
    report = build(parser.parse_args(argv).out)
    if report.ingested is None:
        print(
            f"No tracker store at {config.settings.tracker_db_url}: "
            "reporting what was coded before."
        )
    else:
        print(f"Coded {report.ingested} new message(s).")
    print(f"{report.coded} feedback item(s). Open {report.folder / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
