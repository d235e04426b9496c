"""The service directory on SQLite and PostgreSQL: search order, validity,
neighbouring regions, all-or-nothing CSV imports, the CLI and the sample data."""

import csv
import io
import math
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from line.core import db
from line.core.topics import category_ids, contract
from line.directory import cli, search, store
from line.directory.store import COLUMNS, Service
from line.understanding import places
from tests.support.requirements import copied_if_sqlite, fresh_sqlite, point_line_at

TODAY = date(2026, 11, 25)
ROOT = Path(__file__).resolve().parents[3]
CERCADO = (-12.0464, -77.0428)


def add(**fields):
    values = dict(
        category="health",
        region="Lima",
        address="Jr. Uno 100",
        last_verified=date(2026, 10, 1),
        valid_until=date(2027, 10, 1),
    )
    values.update(fields)
    with db.session_scope() as session:
        session.add(Service(**values))


def names(result):
    return [s.name for s in result.services]


def all_services():
    with db.session_scope() as session:
        rows = session.execute(select(Service).order_by(Service.name)).scalars()
        return [store.ServiceView.of(s) for s in rows]


def csv_file(tmp_path, rows, header=COLUMNS, encoding="utf-8", delimiter=","):
    """A CSV file with `header`; rows are dicts, missing columns left empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    path = tmp_path / "services.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def row(**fields):
    values = dict(
        name="Centro de Salud Comas",
        category="health",
        region="Lima",
        district="Comas",
        address="Av. Túpac Amaru 1500",
        phone="(01) 536-1234",
        cost_free="si",
        latitude="-11.944",
        longitude="-77.052",
        last_verified="2026-10-01",
        valid_until="2027-10-01",
        is_sample="no",
    )
    values.update(fields)
    return values


# --- Search -------------------------------------------------------------------


def test_the_persons_district_comes_first_then_the_region_by_name(migrated):
    add(name="Posta Ate", district="Ate", city="Lima", province="Lima")
    add(name="Centro Comas", district="Comas", city="Lima", province="Lima")
    add(name="Hospital Rímac", district="Rímac", city="Lima", province="Lima")
    add(name="Clínica Huacho", district="Huacho", city="Huacho", province="Huaura")
    result = search.search("health", "Lima", city="rimac", today=TODAY)
    assert names(result) == ["Hospital Rímac", "Centro Comas", "Clínica Huacho"]
    assert result.total == 4 and result.region_used == "Lima" and not result.nearby
    assert names(search.search("health", "Lima", city="Huaura", today=TODAY))[0] == "Clínica Huacho"
    assert names(search.search("health", "Lima", today=TODAY, limit=4)) == [
        "Centro Comas",
        "Clínica Huacho",
        "Hospital Rímac",
        "Posta Ate",
    ]


def test_district_beats_city_beats_province(migrated):
    add(name="A province", province="Trujillo", region="La Libertad")
    add(name="B city", city="Trujillo", region="La Libertad")
    add(name="C district", district="Trujillo", region="La Libertad")
    add(name="D elsewhere", district="Chepén", region="La Libertad")
    assert names(search.search("health", "La Libertad", city="TRUJILLO", limit=4, today=TODAY)) == [
        "C district",
        "B city",
        "A province",
        "D elsewhere",
    ]


def test_a_location_orders_by_distance_and_unlocated_services_go_last(migrated):
    add(name="Far VES", latitude=-12.213, longitude=-76.937)
    add(name="Near Rímac", latitude=-12.029, longitude=-77.030)
    add(name="No coordinates")
    add(name="Mid Comas", latitude=-11.944, longitude=-77.052)
    result = search.search(
        "health",
        "Lima",
        city="Villa El Salvador",
        lat=CERCADO[0],
        lon=CERCADO[1],
        limit=4,
        today=TODAY,
    )
    assert names(result) == ["Near Rímac", "Mid Comas", "Far VES", "No coordinates"]
    km = [s.distance_km for s in result.services]
    assert 1.5 < km[0] < 3 and km[0] < km[1] < km[2] and km[3] is None


def test_pages_follow_the_same_order(migrated):
    for n in range(7):
        add(name=f"Servicio {n}", address=f"Jr. Uno {n}")
    first = search.search("health", "Lima", today=TODAY)
    second = search.search("health", "Lima", offset=3, limit=3, today=TODAY)
    last = search.search("health", "Lima", offset=6, today=TODAY)
    assert len(first.services) == 3 and first.total == 7
    assert names(first) + names(second) + names(last) == [f"Servicio {n}" for n in range(7)]
    assert search.search("health", "Lima", offset=9, today=TODAY).services == []


def test_services_past_valid_until_are_never_shown(migrated):
    add(name="Expired yesterday", valid_until=TODAY - timedelta(days=1))
    add(name="Valid today", valid_until=TODAY)
    add(name="No end date", valid_until=None)
    result = search.search("health", "Lima", today=TODAY)
    assert names(result) == ["No end date", "Valid today"] and result.total == 2


def test_an_empty_region_falls_back_to_the_nearest_neighbour(migrated):
    assert "Piura" in places.neighbours("Tumbes")
    add(name="Hospital Piura", region="Piura")
    add(name="Expired in Tumbes", region="Tumbes", valid_until=TODAY - timedelta(days=1))
    result = search.search("health", "Tumbes", city="Zarumilla", today=TODAY)
    assert names(result) == ["Hospital Piura"]
    assert result.nearby and result.region_used == "Piura" and result.total == 1


def test_a_location_picks_the_neighbour_with_the_closest_service(migrated):
    around = places.neighbours("Lima")
    assert around.index("Callao") < around.index("Junín")
    add(name="Callao", region="Callao", latitude=-12.056, longitude=-77.118)
    add(name="Huancayo", region="Junín", latitude=-12.065, longitude=-75.205)
    assert search.search("health", "Lima", today=TODAY).region_used == "Callao"
    near_huancayo = search.search("health", "Lima", lat=-11.9, lon=-75.6, today=TODAY)
    assert near_huancayo.nearby and names(near_huancayo) == ["Huancayo"]
    assert near_huancayo.region_used == "Junín"


def test_nothing_anywhere_near_is_an_empty_result(migrated):
    add(name="Far away", region="Tacna")
    result = search.search("health", "Tumbes", today=TODAY)
    assert result.services == [] and result.total == 0
    assert result.region_used == "Tumbes" and not result.nearby


def test_region_spelling_is_forgiven_and_unknown_values_find_nothing(migrated):
    add(name="Centro Junín", region="Junín")
    assert names(search.search("health", "JUNIN", today=TODAY)) == ["Centro Junín"]
    assert search.search("salud", "Junín", today=TODAY).total == 0
    assert search.search("health", "Narnia", today=TODAY).total == 0


def test_results_are_plain_values_that_outlive_the_session(migrated):
    add(name="Centro", cost_free=None, phone="(01) 555-1234")
    [view] = search.search("health", "Lima", today=TODAY).services
    with pytest.raises(AttributeError):
        view.name = "changed"
    assert view.phone == "(01) 555-1234" and view.cost_free is None
    assert view.last_verified == date(2026, 10, 1)


def test_stale_lists_expired_unverified_and_long_unverified_entries(migrated):
    add(name="Fresh", last_verified=TODAY - timedelta(days=180))
    add(name="Old", last_verified=TODAY - timedelta(days=181))
    add(name="Never verified", last_verified=None)
    add(name="Expired", valid_until=TODAY - timedelta(days=1))
    assert sorted(s.name for s in store.stale(TODAY)) == ["Expired", "Never verified", "Old"]


# --- CSV import -----------------------------------------------------------------


def test_an_import_reports_every_error_and_applies_nothing(migrated, tmp_path):
    add(name="Already here", phone="(01) 111-1111")
    path = csv_file(
        tmp_path,
        [
            row(name="Fine"),  # line 2
            row(name="Bad category", category="hospital"),  # line 3
            row(name="Bad region", region="Lima Norte"),  # line 4
            row(name="", address=""),  # line 5
            row(name="Bad date", last_verified="25/11/2026"),  # line 6
            row(name="Bad flag", cost_free="quizás"),  # line 7
            row(name="Outside Peru", latitude="12.05"),  # line 8
            row(name="Bad phone", phone="llamar a Rosa"),  # line 9
            row(name="Fine"),  # line 10: duplicate
            row(name="Half location", longitude=""),  # line 11
            row(name="Not a number", longitude="oeste"),  # line 12
            row(name="Already here", phone="(01) 222-2222"),  # line 13: valid update
        ],
    )
    report = store.import_csv(path)
    assert [(e.line, e.column) for e in report.errors] == [
        (3, "category"),
        (4, "region"),
        (5, "name"),
        (5, "address"),
        (6, "last_verified"),
        (7, "cost_free"),
        (8, "latitude"),
        (9, "phone"),
        (10, ""),
        (11, "longitude"),
        (12, "longitude"),
    ]
    assert all(e.reason for e in report.errors)
    assert "line 2" in report.errors[8].reason  # the duplicate names the first line
    assert report.created == report.updated == 0
    [kept] = all_services()
    assert kept.name == "Already here" and kept.phone == "(01) 111-1111"


def test_a_valid_import_adds_and_updates_by_name_region_and_address(migrated, tmp_path):
    add(
        name="Centro de Salud Comas",
        district="Comas",
        address="Av. Túpac Amaru 1500",
        phone="(01) 000-0000",
    )
    add(name="Not in the file", address="Jr. Dos 2")
    path = csv_file(
        tmp_path,
        [
            row(),
            row(
                name="DEMUNA de Comas", category="protection", whatsapp="987 654 321", cost_free=""
            ),
        ],
    )
    report = store.import_csv(path)
    assert report.errors == [] and (report.created, report.updated, report.unchanged) == (1, 1, 0)
    by_name = {s.name: s for s in all_services()}
    assert set(by_name) == {"Centro de Salud Comas", "DEMUNA de Comas", "Not in the file"}
    updated = by_name["Centro de Salud Comas"]
    assert updated.phone == "(01) 536-1234" and updated.cost_free is True
    assert updated.latitude == -11.944 and updated.valid_until == date(2027, 10, 1)
    assert by_name["DEMUNA de Comas"].cost_free is None and not by_name["DEMUNA de Comas"].is_sample
    again = store.import_csv(path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_excel_variants_are_accepted(migrated, tmp_path):
    """BOM, ';' separators, accents and case in regions, Sí/NO, decimal commas."""
    path = csv_file(
        tmp_path,
        [
            row(
                region="junin",
                category="Health",
                cost_free="Sí",
                serves_all_status="NO",
                latitude="-12,065",
                longitude="-75,205",
                phone="064 21-5500 anexo 12 / 113",
            )
        ],
        encoding="utf-8-sig",
        delimiter=";",
    )
    report = store.import_csv(path)
    assert report.errors == []
    [service] = all_services()
    assert service.region == "Junín" and service.category == "health"
    assert service.cost_free is True and service.serves_all_status is False
    assert service.latitude == -12.065


@pytest.mark.parametrize(
    "content, line, column, words",
    [
        (b"", 1, "", "empty"),
        (b"   \r\n\r\n", 1, "", "empty"),
        (",".join(COLUMNS).encode() + b"\r\n", 2, "", "no services"),
        (b"name,category,region,address\r\nA,health,Lima,Jr. 1\r\n", 1, "province", "missing"),
        (",".join(COLUMNS + ("notes",)).encode() + b"\r\n", 1, "notes", "unknown column"),
        (",".join(COLUMNS).encode() + b"\r\nA,health,Lima\r\n", 2, "", "values"),
        (",".join(COLUMNS).encode() + b"\r\nCl\xednica,health\r\n", 2, "", "UTF-8"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", 1, "", "Excel"),
    ],
)
def test_a_broken_file_gets_a_clear_error(migrated, tmp_path, content, line, column, words):
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    report = store.import_csv(path)
    assert report.errors and report.created == 0
    first = report.errors[0]
    assert (first.line, first.column) == (line, column) and words in first.reason
    assert all_services() == []


def test_a_missing_header_lists_every_missing_column(migrated, tmp_path):
    path = csv_file(tmp_path, [row()], header=("name", "category", "region", "address"))
    report = store.import_csv(path)
    assert {e.column for e in report.errors} == set(COLUMNS) - {
        "name",
        "category",
        "region",
        "address",
    }


def test_line_numbers_count_lines_inside_quoted_values(migrated, tmp_path):
    path = csv_file(tmp_path, [row(requirements="DNI\no pasaporte"), row(name="X", category="?")])
    [error] = store.import_csv(path).errors
    assert error.line == 4 and str(error).startswith("line 4, column category: ")


def test_export_then_import_gives_back_the_same_directory(migrated, tmp_path):
    store.ensure_sample_data()
    before = all_services()
    path = tmp_path / "export.csv"
    assert store.export_csv(path) == len(before)
    data = path.read_bytes()
    assert data.startswith("\ufeff".encode()) and data.splitlines()[0].decode(
        "utf-8-sig"
    ) == ",".join(COLUMNS)
    with db.session_scope() as session:
        session.execute(delete(Service))
    report = store.import_csv(path)
    assert report.errors == [] and report.created == len(before)
    strip = lambda views: [{**vars(v), "id": None} for v in views]  # noqa: E731
    assert strip(all_services()) == strip(before)


def test_export_writes_to_text_and_binary_streams(migrated):
    add(name="Único", cost_free=True)
    text, binary = io.StringIO(), io.BytesIO()
    store.export_csv(text)
    store.export_csv(binary)
    assert binary.getvalue().decode("utf-8") == text.getvalue()
    assert "Único,health,Lima" in text.getvalue() and ",si," in text.getvalue()


# --- Command line ---------------------------------------------------------------


def test_cli_import_prints_each_problem_and_exits_1(migrated, tmp_path, capsys):
    path = csv_file(
        tmp_path, [row(), row(name="B", region="Gotham"), row(name="C", valid_until="mañana")]
    )
    assert cli.main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "line 3, column region: 'Gotham' is not a region of Peru" in err
    assert "line 4, column valid_until:" in err and "Nothing was imported" in err
    assert all_services() == []


def test_cli_import_export_stale_and_sample(migrated, tmp_path, capsys):
    assert cli.main(["load-sample"]) == 0
    assert "SAMPLE" in capsys.readouterr().out
    assert cli.main(["load-sample"]) == 0
    assert "already has services" in capsys.readouterr().out
    out = tmp_path / "all.csv"
    assert cli.main(["export", str(out)]) == 0
    assert cli.main(["import", str(out)]) == 0
    assert "0 new, 0 updated" in capsys.readouterr().out
    assert cli.main(["stale"]) == 0
    assert "expired on" in capsys.readouterr().out


def test_cli_bad_usage_and_missing_files_are_invalid_input(migrated, tmp_path, capsys):
    assert cli.main(["import", str(tmp_path / "nope.csv")]) == 1
    assert "Cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        cli.main(["frobnicate"])
    assert caught.value.code == 1


def test_cli_without_a_database_exits_2_without_a_traceback(tmp_path):
    env = {
        **os.environ,
        "DIRECTORY_DB_URL": "postgresql://postgres@127.0.0.1:1/line",
        "LINE_DB_TIMEOUT": "2",
    }
    done = subprocess.run(
        [sys.executable, "-m", "line.directory.cli", "stale"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Cannot reach the directory database" in done.stderr
    assert "Traceback" not in done.stderr


# --- Sample data ------------------------------------------------------------------

FOCUS = (
    "Lima",
    "Callao",
    "Tumbes",
    "La Libertad",
    "Piura",
    "Lambayeque",
    "Arequipa",
    "Cusco",
    "Ica",
    "Junín",
)


def load_sample() -> None:
    assert store.ensure_sample_data() > 400
    assert store.ensure_sample_data() == 0  # only ever fills an empty directory


@pytest.fixture(scope="session")
def sample_sqlite(migrated_sqlite, tmp_path_factory):
    """One SQLite file with the sample directory, copied for each test."""
    path = tmp_path_factory.mktemp("sample") / "line.db"
    with pytest.MonkeyPatch.context() as patch:
        point_line_at(patch, fresh_sqlite(migrated_sqlite, path))
        load_sample()
    db.engine(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def sample(db_url, request):
    if not copied_if_sqlite(db_url, request, "sample_sqlite"):
        db.migrate()
        load_sample()
    return all_services()


def valid(services, **where):
    return [
        s
        for s in services
        if (s.valid_until is None or s.valid_until >= TODAY)
        and all(getattr(s, k) == v for k, v in where.items())
    ]


def test_sample_is_marked_as_sample(sample):
    assert all(s.is_sample and s.source == "DATOS DE EJEMPLO - verificar" for s in sample)
    assert all(s.last_verified.year == 2026 for s in sample)
    assert sum(s.valid_until.year == 2027 for s in sample) > 0.9 * len(sample)


def test_sample_covers_every_region(sample):
    for region in contract()["regions"]:
        assert valid(sample, region=region, category="health"), region
        assert valid(sample, region=region, category="red_cross_office") or valid(
            sample, region=region, category="protection"
        ), region
        assert search.search("health", region, today=TODAY).region_used == region


@pytest.mark.parametrize("region", FOCUS)
def test_sample_has_three_services_per_category_in_the_main_regions(sample, region):
    for category in category_ids():
        result = search.search(category, region, today=TODAY)
        assert result.total >= 3 and not result.nearby, (region, category)


def test_sample_spreads_over_districts(sample):
    lima = {s.district for s in valid(sample, region="Lima")}
    assert {
        "San Juan de Lurigancho",
        "Rímac",
        "La Victoria",
        "San Juan de Miraflores",
        "Comas",
        "Villa El Salvador",
        "Cercado de Lima",
    } <= lima
    assert {"Bellavista", "Callao", "Ventanilla"} <= {
        s.district for s in valid(sample, region="Callao")
    }
    assert all(s.district and s.city and s.province for s in sample)


def test_sample_has_a_few_expired_entries_for_staleness(sample):
    expired = [s for s in sample if s.valid_until < TODAY]
    assert 2 <= len(expired) <= 3
    assert {s.name for s in expired} <= {s.name for s in store.stale(TODAY)}


def test_sample_coordinates_agree_with_the_gazetteer(sample):
    checked = 0
    for s in sample:
        place = places.resolve(s.district)
        if place and place.region == s.region and place.city and place.lat is not None:
            km = 111 * math.dist((place.lat, place.lon), (s.latitude, s.longitude))
            assert km < 15, (s.name, s.district, km)
            checked += 1
    assert checked > len(sample) / 2


def test_sample_facts_are_filled_in(sample):
    for s in sample:
        assert s.address and s.phone and s.hours and s.requirements and s.cost_note, s.name
        assert s.cost_free is not None and s.serves_all_status is not None, s.name
    assert store.import_csv(store.SAMPLE_FILE).errors == []
