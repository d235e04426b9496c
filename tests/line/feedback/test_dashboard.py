"""The dashboard's figures (line/feedback/dashboard.py) with its filters, on no data, one
day and a year of generated data; where bars and labels go (line/feedback/charts.py)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
import yaml

from line.core import settings as config
from line.feedback import charts, coding, dashboard, report
from tests.line.feedback.generated import generate

TODAY = date(2026, 3, 18)  # a Wednesday


def everything(days: int) -> dashboard.Filters:
    return dashboard.Filters(TODAY - timedelta(days=days - 1), TODAY)


# --- The filters ---------------------------------------------------------------------


def test_no_filters_means_the_last_30_days_and_everything_else():
    filters, problems = dashboard.parse({}, TODAY)
    assert problems == []
    assert filters == dashboard.Filters(date(2026, 2, 17), TODAY)
    assert filters.query() == {"desde": "2026-02-17", "hasta": "2026-03-18"}


def test_filters_are_read_kindly_and_what_cannot_be_used_is_said():
    filters, problems = dashboard.parse(
        {"desde": "2026-03-10", "hasta": "2026-03-01", "region": "junin", "tipo": "rumour"}, TODAY
    )
    assert (filters.start, filters.end) == (date(2026, 3, 1), date(2026, 3, 10))
    assert filters.region == "Junín" and filters.feedback_type == "rumour"
    assert [p.code for p in problems] == ["reversed"]

    filters, problems = dashboard.parse(
        {"desde": "31/02/2026", "region": "Gotham", "tema": "nada", "tipo": "praise"}, TODAY
    )
    assert filters == dashboard.Filters(date(2026, 2, 17), TODAY)
    assert [(p.code, p.field, p.value) for p in problems] == [
        ("bad_date", "desde", "31/02/2026"),
        ("unknown_region", "region", "Gotham"),
        ("unknown_topic", "tema", "nada"),
        ("unknown_type", "tipo", "praise"),
    ]

    filters, problems = dashboard.parse({"desde": "1990-01-01"}, TODAY)
    assert [p.code for p in problems] == ["too_long"]
    assert (filters.end - filters.start).days == dashboard.MAX_DAYS - 1


def test_every_topic_a_code_carries_can_be_chosen_once():
    choices = dashboard.topic_choices()
    assert len(choices) == len(set(choices))
    for topic in ("covid_vaccine", "rumour_vaccine_microchip", "food", "shelter", "unresolved"):
        assert topic in choices


def test_the_codebook_has_a_spanish_word_for_every_type_and_status():
    book = yaml.safe_load(coding.CODEBOOK_FILE.read_text(encoding="utf-8"))
    assert tuple(book["types"]) == coding.TYPES
    assert tuple(book["statuses"]) == coding.STATUSES
    assert book["types"]["question"] == "Pregunta" and book["types"]["rumour"] == "Rumor"


# --- Figures -------------------------------------------------------------------------


def test_no_data_gives_zeros_and_an_empty_range(database):
    data = dashboard.summary(everything(30))
    assert (data.messages, data.coded, data.sensitive, data.unresolved) == (0, 0, 0, 0)
    assert data.by_topic == [] and data.first is None
    trend = dashboard.trend(data)
    assert trend.unit == dashboard.DAY and len(trend.buckets) == 30
    assert all(not counts for _, counts in trend.buckets)
    assert dashboard.trend(dashboard.summary(dashboard.Filters())) is None
    waits = dashboard.handoffs(everything(30))
    assert waits["total"] == 0 and waits["median_wait"] is None
    assert dashboard.unresolved(everything(30)) == [] and dashboard.rows(everything(30)) == []


def test_one_day_counts_every_message_and_filters_narrow_it(database):
    made = generate(TODAY, days=1, per_day=40)
    coded = [row for row in made if row.feedback_type]
    data = dashboard.summary(everything(1))
    assert data.messages == 40 and data.coded == len(coded) == 39
    assert data.by_type == Counter(row.feedback_type for row in coded)
    assert data.unresolved == sum(row.topic == "unresolved" for row in coded)
    assert data.sensitive == sum(row.sensitive for row in coded)
    trend = dashboard.trend(data)
    assert trend.unit == dashboard.DAY and [day for day, _ in trend.buckets] == [TODAY]
    assert sum(trend.buckets[0][1].values()) == 39

    rumours = dashboard.summary(dataclass_with(everything(1), feedback_type="rumour"))
    assert rumours.coded == sum(row.feedback_type == "rumour" for row in made) > 0
    assert set(rumours.by_type) == {"rumour"}
    assert rumours.ratings_apply is False
    assert all(row.useful is None for row in rumours.by_topic)

    lima = dashboard.summary(dataclass_with(everything(1), region="Lima"))
    assert lima.coded == sum(row.region == "Lima" for row in coded)
    assert set(lima.by_region) == {"Lima"}

    shelter = dashboard.summary(dataclass_with(everything(1), topic="shelter"))
    [row] = shelter.by_topic
    mine = [r for r in coded if r.topic == "shelter"]
    assert row.topic == "shelter" and row.total == len(mine)
    assert row.unanswered == sum(r.status == coding.UNANSWERED for r in mine)
    assert row.handed_off == sum(r.status == coding.HANDED_OFF for r in mine)
    assert row.useful + row.not_useful == row.rated > 0

    assert (
        dashboard.summary(dataclass_with(everything(1), start=TODAY + timedelta(1))).messages == 0
    )


def dataclass_with(filters, **changes):
    return dataclasses.replace(filters, **changes)


def test_the_shares_per_topic_and_the_waits_come_from_the_rows(database):
    made = generate(TODAY, days=3, per_day=12)
    data = dashboard.summary(everything(3))
    for row in data.by_topic:
        mine = [r for r in made if r.topic == row.topic and r.feedback_type]
        assert row.total == len(mine)
        if row.total:
            assert row.unanswered_share == pytest.approx(
                sum(r.status == coding.UNANSWERED for r in mine) / len(mine)
            )
    assert "unresolved" not in {row.topic for row in data.by_topic}

    now = datetime(2026, 3, 19, 12, 0)
    waits = dashboard.handoffs(everything(3), now)
    assert waits["total"] > waits["claimed"] > 0
    assert 1 <= waits["median_wait"] <= 90 and waits["p90_wait"] >= waits["median_wait"]
    lima = dashboard.handoffs(dataclass_with(everything(3), region="Lima"), now)
    assert 0 < lima["total"] < waits["total"]
    [asked] = dashboard.unresolved(everything(3))
    assert asked["text"] == "el pasaje a bolivia cuanto sale"
    assert asked["count"] == sum(r.topic == "unresolved" for r in made)


def test_a_year_is_shown_by_month_half_a_year_by_week(database):
    made = generate(TODAY, days=365, per_day=4)
    year = dashboard.summary(everything(365))
    assert year.messages == len(made) and year.first == TODAY - timedelta(days=364)
    trend = dashboard.trend(year)
    assert trend.unit == dashboard.MONTH
    assert [day for day, _ in trend.buckets][:2] == [date(2025, 3, 1), date(2025, 4, 1)]
    assert len(trend.buckets) == 13
    assert sum(sum(c.values()) for _, c in trend.buckets) == year.coded
    half = dashboard.trend(dashboard.summary(everything(120)))
    assert half.unit == dashboard.WEEK
    assert all(day.weekday() == 0 for day, _ in half.buckets)
    assert len(half.buckets) == 18
    assert len(dashboard.rows(dataclass_with(everything(365), feedback_type="rumour"))) == sum(
        row.feedback_type == "rumour" for row in made
    )


def test_the_report_and_the_page_count_the_same(database, tmp_path, monkeypatch):
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, tracker_db_url=f"sqlite:///{tmp_path / 'none.db'}"),
    )
    generate(TODAY, days=20, per_day=5)
    built = report.build(tmp_path / "report")
    data = dashboard.summary(report.EVERYTHING)
    assert built.coded == data.coded == 20 * 4
    html = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert f"{data.messages} mensajes recibidos, {data.coded} codificados" in html
    assert "question = Pregunta" in html


# --- Charts --------------------------------------------------------------------------


def test_ticks_are_round_and_reach_the_top():
    assert charts.ticks(0) == [0, 1]
    assert charts.ticks(7) == [0, 2, 4, 6, 8]
    assert charts.ticks(10) == [0, 5, 10]
    assert charts.ticks(1234) == [0, 500, 1000, 1500]


@pytest.mark.parametrize("count", [1, 2, 7, 13, 18, 31, 120, 400])
def test_time_labels_never_touch_and_a_lone_bar_stays_a_bar(count):
    buckets = [(index, {"question": index % 5, "rumour": 1}) for index in range(count)]
    chart = charts.time_chart(buckets, coding.TYPES)
    labelled = [column.center for column in chart.columns if column.labelled]
    assert labelled[0] == chart.columns[0].center
    assert all(b - a >= charts.LABEL_WIDTH for a, b in zip(labelled, labelled[1:], strict=False))
    assert labelled[-1] + charts.LABEL_WIDTH / 2 <= chart.width
    assert chart.bar_width <= charts.MAX_BAR and chart.bar_width > 0
    for column in chart.columns:
        assert sum(s.height for s in column.segments) <= chart.baseline - chart.top + 1e-6
        assert column.x >= chart.left and column.x + chart.bar_width <= chart.right + 1e-6


def test_horizontal_bars_grow_with_their_rows():
    one = charts.bar_chart([("question", 3)])
    many = charts.bar_chart([(f"t{i}", i + 1) for i in range(15)])
    assert many.height > one.height
    assert max(row.width for row in many.rows) <= charts.WIDTH - charts.NAME_WIDTH
    assert charts.bar_chart([]).rows == ()
