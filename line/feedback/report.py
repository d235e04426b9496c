"""`make report`: the coordinators' feedback report, from the line's own database.

The console's /informes shows the same figures (line/feedback/dashboard.py computes them
for both). Codes new conversations first (`dashboard.refresh`), then writes to one folder:
feedback.csv (IFRC codebook columns, no phone numbers, names or sender ids),
PNG charts, and index.html, which embeds the charts by relative path so the
folder can be zipped and sent as it is. Unresolved texts appear only in the HTML,
for the content team: redacted when they were stored, and again when quoted, for rows
coded before the line had its detector.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional, TextIO, Union

from jinja2 import Environment, FileSystemLoader, select_autoescape

from line.alerts import broadcasts
from line.core import db, topics
from line.core import settings as config
from line.directory import store
from line.feedback import coding, dashboard, erasure, ratings
from line.feedback.coding import Feedback

TEMPLATES = Path(__file__).parent / "templates"
CSV_COLUMNS = ("date", "channel", "feedback_type", "topic", "region", "sensitive", "status")
EVERYTHING = dashboard.Filters()  # the report covers every day, region, topic and type


@dataclass(frozen=True)
class Report:
    folder: Path
    ingested: Optional[int]  # None: no tracker store to read
    coded: int


def write_csv(rows: list[Feedback], target: Union[Path, TextIO]) -> None:
    """Only coded feedback, only codebook columns: nothing that identifies anyone.
    `target` is a file path (the report) or an open text stream (the console's download)."""
    if isinstance(target, Path):
        with open(target, "w", newline="", encoding="utf-8") as f:
            write_csv(rows, f)
        return
    writer = csv.writer(target)
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


def _pyplot():
    """Matplotlib, loaded only to draw: the console imports this module for its CSV."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; must precede pyplot
    import matplotlib.pyplot as plt

    return plt


def _bar_chart(counts: Counter, title: str, path: Path) -> Optional[str]:
    """Horizontal bars, largest on top (long topic ids stay readable), or None
    when there is nothing to draw."""
    if not counts:
        return None
    labels, values = zip(*counts.most_common(), strict=True)
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8, max(3, 0.35 * len(labels) + 1)))
    axes.barh(labels[::-1], values[::-1], color="#d52b1e")
    axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path.name


def _per_day_chart(per_day: Counter, path: Path) -> Optional[str]:
    if not per_day:
        return None
    days = sorted(per_day)
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8, 3.5))
    axes.bar(days, [per_day[d] for d in days], color="#d52b1e")
    axes.set_title("Messages per day")
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path.name


def charts(data: dashboard.Summary, folder: Path) -> dict[str, Optional[str]]:
    """File names of the charts (relative to the report), by what they show."""
    by_topic = Counter({row.topic: row.total for row in data.by_topic if row.total})
    if data.unresolved:
        by_topic[coding.UNRESOLVED] = data.unresolved
    return {
        "per_day": _per_day_chart(
            Counter({day: sum(counts.values()) for day, counts in data.by_day.items()}),
            folder / "messages_per_day.png",
        ),
        "by_type": _bar_chart(data.by_type, "Feedback by type", folder / "feedback_by_type.png"),
        "by_topic": _bar_chart(
            Counter(dict(by_topic.most_common(dashboard.TOP_TOPICS))),
            f"Feedback by topic (top {dashboard.TOP_TOPICS})",
            folder / "feedback_by_topic.png",
        ),
        "by_region": _bar_chart(
            Counter({region or "unknown": n for region, n in data.by_region.items()}),
            "Feedback by region",
            folder / "feedback_by_region.png",
        ),
    }


def build(folder: Path) -> Report:
    """Code what is new in the tracker store, then write the whole report."""
    db.migrate()
    ingested = dashboard.refresh()
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(dashboard.rows(EVERYTHING), folder / "feedback.csv")
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
    )
    data = dashboard.summary(EVERYTHING)
    html = environment.get_template("report.html").render(
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
        tracker_missing=ingested is None,
        messages=data.messages,
        coded=data.coded,
        sensitive=data.sensitive,
        first=data.first,
        last=data.last,
        charts=charts(data, folder),
        unresolved=dashboard.unresolved(EVERYTHING),
        handoffs=dashboard.handoffs(EVERYTHING),
        ratings=ratings.per_topic(),
        types=coding.codebook()["types"],
        titles=topics.faq_titles(),
        erasures=erasure.count_completed(),
        stale=store.stale(),
        alerts=broadcasts.report(),
    )
    (folder / "index.html").write_text(html, encoding="utf-8")
    return Report(folder, ingested, data.coded)


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
