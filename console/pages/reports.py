"""/informes: the coordinators' dashboard, what `make report` writes, read in the console.

The figures come from `line.feedback.dashboard`, as the report's do, so the two never
disagree; this module reads the filters of a plain GET form and renders. The CSV is the
report's (`report.write_csv`, the IFRC codebook's columns) with the page's filters.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import threading
from datetime import timedelta, timezone
from urllib.parse import urlencode

from sanic import response
from sanic.request import Request
from sqlalchemy.exc import SQLAlchemyError

from line.core import topics
from line.core.db import DatabaseUnavailable
from line.directory import store
from line.feedback import charts, coding, dashboard, erasure, report
from line.handoff import accounts, hours

logger = logging.getLogger(__name__)
PATH, CSV_PATH = "/informes", "/informes/retroalimentacion.csv"
# The quick ranges above the form: name -> days back from today, today included.
RANGES = {"today": 1, "week": 7, "month": 30, "year": 365}
# One console process codes new conversations one page load at a time.
_refreshing = threading.Lock()


def _refresh() -> str:
    """Code what the line recorded since the last look: "done", "no_tracker" or "failed"
    (the figures then show what was coded before, and the page says so)."""
    with _refreshing:
        try:
            return "no_tracker" if dashboard.refresh() is None else "done"
        except (SQLAlchemyError, DatabaseUnavailable):
            logger.exception("new conversations could not be coded for /informes")
            return "failed"


def _link(path: str, filters: dashboard.Filters) -> str:
    query = filters.query()
    return f"{path}?{urlencode(query)}" if query else path


def _figures(filters: dashboard.Filters, today, now) -> dict:
    """Everything the page shows, read in one worker thread."""
    data = dashboard.summary(filters)
    trend = dashboard.trend(data)
    top = [(row.topic, row.total) for row in data.by_topic if row.total][: dashboard.TOP_TOPICS]
    if data.unresolved:
        top = sorted(top + [(coding.UNRESOLVED, data.unresolved)], key=lambda item: -item[1])
        top = top[: dashboard.TOP_TOPICS]
    return {
        "data": data,
        "trend": trend,
        "trend_chart": charts.time_chart(trend.buckets, coding.TYPES) if trend else None,
        "type_chart": charts.bar_chart(
            [(kind, data.by_type[kind]) for kind in coding.TYPES if data.by_type[kind]]
        ),
        "topic_chart": charts.bar_chart(top),
        "region_chart": charts.bar_chart(
            [(region or "", count) for region, count in data.by_region.most_common()]
        ),
        "handoffs": dashboard.handoffs(filters, now),
        "unresolved": dashboard.unresolved(filters),
        "due": dashboard.content_due(today, filters.topic),
        "erasures": erasure.count_completed(),
        "stale": store.stale(today),
    }


def register(app, kit) -> None:
    def filters_of(request: Request):
        today = hours.local_now(kit.cfg, kit.clock()).date()
        asked = {name: request.args.get(name) for name in dashboard.FIELDS}
        return today, *dashboard.parse(asked, today)

    @app.get(PATH)
    @kit.protected(accounts.REPORTS)
    async def reports(request: Request):
        today, filters, problems = filters_of(request)
        refreshed = await asyncio.to_thread(_refresh)
        now = kit.clock().astimezone(timezone.utc).replace(tzinfo=None)
        figures = await asyncio.to_thread(_figures, filters, today, now)
        ranges = {
            name: _link(
                PATH,
                dataclasses.replace(filters, start=today - timedelta(days=days - 1), end=today),
            )
            for name, days in RANGES.items()
        }
        return await kit.render(
            request,
            "reports.html",
            filters=filters,
            problems=problems,
            asked={name: request.args.get(name) or "" for name in dashboard.FIELDS},
            fields=dashboard,
            refreshed=refreshed,
            ranges=ranges,
            csv_link=_link(CSV_PATH, filters),
            codebook=coding.codebook(),
            types=coding.TYPES,
            titles=topics.faq_titles(),
            regions=dashboard.regions(),
            topic_ids=dashboard.topic_choices(),
            categories=set(topics.category_ids()),
            unresolved_topic=coding.UNRESOLVED,
            units={"day": dashboard.DAY, "week": dashboard.WEEK, "month": dashboard.MONTH},
            **figures,
        )

    @app.get(CSV_PATH)
    @kit.protected(accounts.REPORTS)
    async def feedback_csv(request: Request):
        """The codebook's CSV with the page's filters. A hand-made link with a filter the
        page cannot use goes back to the page, which says what is wrong."""
        today, filters, problems = filters_of(request)
        if problems:
            return kit.see_other(f"{PATH}?{request.query_string}")
        rows = await asyncio.to_thread(dashboard.rows, filters)
        text = io.StringIO()
        report.write_csv(rows, text)
        name = f"retroalimentacion-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
        return response.raw(
            text.getvalue().encode("utf-8"),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
