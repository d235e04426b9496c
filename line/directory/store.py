"""The directory's store: the services table, and the CSV files it is kept in.

The data is kept by the National Society in a CSV file (docs/directory.md). Imports are
all-or-nothing so a half-checked file never reaches people; `stale` lists the entries
to check again.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from os import PathLike
from pathlib import Path
from typing import IO, Optional, Union

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    or_,
    select,
)

from line.core.db import Base, session_scope
from line.core.text import fold
from line.core.topics import category_ids, contract

SAMPLE_FILE = Path(__file__).with_name("sample.csv")
# An entry nobody has re-checked for this long is listed by stale().
STALE_AFTER = timedelta(days=180)
# Peru's bounding box, a little widened: catches swapped or unsigned coordinates.
LATITUDES, LONGITUDES = (-18.5, 0.1), (-81.5, -68.5)

# CSV columns, in file order: every column of the table except the internal id.
COLUMNS = (
    "name",
    "category",
    "region",
    "province",
    "city",
    "district",
    "address",
    "phone",
    "whatsapp",
    "hours",
    "cost_free",
    "cost_note",
    "requirements",
    "serves_all_status",
    "latitude",
    "longitude",
    "source",
    "last_verified",
    "verified_by",
    "valid_until",
    "is_sample",
)
REQUIRED = ("name", "category", "region", "address")
BOOLEANS = ("cost_free", "serves_all_status", "is_sample")
DATES = ("last_verified", "valid_until")
TRUE, FALSE = {"si", "true", "1", "verdadero"}, {"no", "false", "0", "falso"}

PathOrFile = Union[str, PathLike, IO]


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("name", "region", "address", name="uq_services_name_region_address"),
        Index("ix_services_category_region", "category", "region"),
    )

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    category = Column(String(32), nullable=False)
    region = Column(String(32), nullable=False)
    province = Column(String(100))
    city = Column(String(100))
    district = Column(String(100))
    address = Column(String(300), nullable=False)
    phone = Column(String(100))
    whatsapp = Column(String(100))
    hours = Column(String(200))
    cost_free = Column(Boolean)  # None: not known
    cost_note = Column(Text)
    requirements = Column(Text)
    serves_all_status = Column(Boolean)  # serves migrants whatever their status
    latitude = Column(Float)
    longitude = Column(Float)
    source = Column(String(200))
    last_verified = Column(Date)
    verified_by = Column(String(100))
    valid_until = Column(Date)
    is_sample = Column(Boolean, nullable=False, default=False)


@dataclass(frozen=True)
class ServiceView:
    """A service as read, detached from the session so callers can keep it."""

    id: int
    name: str
    category: str
    region: str
    province: Optional[str]
    city: Optional[str]
    district: Optional[str]
    address: str
    phone: Optional[str]
    whatsapp: Optional[str]
    hours: Optional[str]
    cost_free: Optional[bool]
    cost_note: Optional[str]
    requirements: Optional[str]
    serves_all_status: Optional[bool]
    latitude: Optional[float]
    longitude: Optional[float]
    source: Optional[str]
    last_verified: Optional[date]
    verified_by: Optional[str]
    valid_until: Optional[date]
    is_sample: bool
    distance_km: Optional[float] = None  # only when the search had a location

    @classmethod
    def of(cls, service: Service, distance_km: Optional[float] = None) -> "ServiceView":
        return cls(
            id=service.id,
            distance_km=distance_km,
            **{column: getattr(service, column) for column in COLUMNS},
        )


@dataclass(frozen=True)
class RowError:
    line: int  # line of the file, 1 = header
    column: str  # "" when the problem is the whole line or file
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@lru_cache(maxsize=None)
def _regions() -> dict[str, str]:
    return {fold(name): name for name in contract()["regions"]}


def official_region(name: Optional[str]) -> Optional[str]:
    """'junin', 'LIMA', 'Ancash' -> the contract spelling; None if not a region."""
    return _regions().get(fold(name or ""))


def stale(today: Optional[date] = None) -> list[ServiceView]:
    """Entries to re-check: expired, never verified, or verified over 180 days ago."""
    today = today or date.today()
    with session_scope() as session:
        rows = session.execute(
            select(Service)
            .where(
                or_(
                    Service.valid_until < today,
                    Service.last_verified.is_(None),
                    Service.last_verified < today - STALE_AFTER,
                )
            )
            .order_by(Service.region, Service.category, Service.name)
        ).scalars()
        return [ServiceView.of(s) for s in rows]


# --- CSV import and export ----------------------------------------------------

NOT_TEXT = (
    "the file is not a UTF-8 CSV text file. If it is an Excel workbook, "
    "open it in Excel and use 'Save as' > 'CSV UTF-8 (comma delimited)'"
)


def import_csv(source: PathOrFile) -> ImportReport:
    """Check every line, then add or update them all, or nothing if any line is wrong.

    A service is identified by (name, region, address): a matching entry is
    updated, a new one added, and services not in the file are kept."""
    text, problem = _read_text(source)
    rows, errors = _parse(text) if problem is None else ([], [problem])
    if errors:
        return ImportReport(errors=errors)
    report = ImportReport()
    with session_scope() as session:
        existing = {
            (s.name, s.region, s.address): s for s in session.execute(select(Service)).scalars()
        }
        for values in rows:
            service = existing.get((values["name"], values["region"], values["address"]))
            if service is None:
                session.add(Service(**values))
                report.created += 1
            elif any(getattr(service, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(service, k, v)
                report.updated += 1
            else:
                report.unchanged += 1
    return report


def export_csv(target: PathOrFile) -> int:
    """Write every service as CSV with a BOM, so Excel shows accents right; returns the count."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    with session_scope() as session:
        services = (
            session.execute(
                select(Service).order_by(Service.region, Service.category, Service.name, Service.id)
            )
            .scalars()
            .all()
        )
        for service in services:
            writer.writerow([_cell(getattr(service, column)) for column in COLUMNS])
    text = "\ufeff" + buffer.getvalue()
    if isinstance(target, (str, PathLike)):
        Path(target).write_bytes(text.encode("utf-8"))
    else:
        target.write(text if isinstance(target, io.TextIOBase) else text.encode("utf-8"))
    return len(services)


def ensure_sample_data() -> int:
    """Fill an empty directory with the sample file so a fresh install can be tried;
    returns how many services were loaded (0 when there were already some)."""
    with session_scope() as session:
        if session.execute(select(func.count(Service.id))).scalar_one():
            return 0
    report = import_csv(SAMPLE_FILE)
    if report.errors:
        raise ValueError(f"{SAMPLE_FILE.name} is invalid: {report.errors[0]}")
    return report.created


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "si" if value else "no"
    return value.isoformat() if isinstance(value, date) else str(value)


def _read_text(source: PathOrFile) -> tuple[str, Optional[RowError]]:
    data = Path(source).read_bytes() if isinstance(source, (str, PathLike)) else source.read()
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return "", RowError(data.count(b"\n", 0, exc.start) + 1, "", NOT_TEXT)
    if "\x00" in data:
        return "", RowError(data.count("\n", 0, data.index("\x00")) + 1, "", NOT_TEXT)
    return data.removeprefix("\ufeff"), None


def _parse(text: str) -> tuple[list[dict], list[RowError]]:
    """Validated column values of every line, or every problem found."""
    if not text.strip():
        return [], [
            RowError(
                1,
                "",
                "the file is empty; it needs a header line with the "
                "column names and then one line per service",
            )
        ]
    first_line = text.splitlines()[0]
    # Excel in Spanish saves with ';' as separator.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[dict] = []
    errors: list[RowError] = []
    first_line_of: dict[tuple, int] = {}
    try:
        header = [name.strip().lower() for name in next(reader)]
        errors = _check_header(header)
        if errors:
            return [], errors
        for values in reader:
            line = reader.line_num - sum(v.count("\n") for v in values)
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                errors.append(
                    RowError(
                        line,
                        "",
                        f"this line has {len(values)} values but the "
                        f"header has {len(header)} columns; check for a missing "
                        "value or a comma inside a value without quotes",
                    )
                )
                continue
            row, row_errors = _validate(dict(zip(header, values, strict=True)), line)
            errors.extend(row_errors)
            key = (row["name"], row["region"], row["address"])
            if not row_errors:
                if key in first_line_of:
                    errors.append(
                        RowError(
                            line,
                            "",
                            "same name, region and address as line "
                            f"{first_line_of[key]}; each service must appear once",
                        )
                    )
                first_line_of.setdefault(key, line)
            rows.append(row)
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, "", f"the file is not valid CSV here ({exc})"))
    if not rows and not errors:
        errors.append(RowError(2, "", "the file has a header but no services"))
    return rows, errors


def _check_header(header: list[str]) -> list[RowError]:
    errors = [
        RowError(1, name, "this column appears more than once")
        for name in sorted({n for n in header if header.count(n) > 1})
    ]
    errors += [
        RowError(1, name, f"unknown column; the columns are: {', '.join(COLUMNS)}")
        for name in header
        if name not in COLUMNS
    ]
    errors += [
        RowError(1, name, "this column is missing from the header line")
        for name in COLUMNS
        if name not in header
    ]
    return errors


def _validate(raw: dict[str, str], line: int) -> tuple[dict, list[RowError]]:
    """Typed values of one line, and a plain reason for each bad value."""
    raw = {k: v.strip() for k, v in raw.items()}
    errors: list[RowError] = []

    def bad(column: str, reason: str) -> None:
        errors.append(RowError(line, column, reason))

    row: dict = {column: raw[column] or None for column in COLUMNS}
    for column in REQUIRED:
        if not raw[column]:
            bad(column, "this value is required and is empty")
    for column, value in row.items():
        limit = getattr(Service.__table__.c[column].type, "length", None)
        if isinstance(value, str) and limit and len(value) > limit:
            bad(column, f"too long ({len(value)} characters, at most {limit})")
    if raw["category"]:
        row["category"] = raw["category"].lower()
        if row["category"] not in category_ids():
            bad(
                "category",
                f"'{raw['category']}' is not a category; use one of: {', '.join(category_ids())}",
            )
    if raw["region"]:
        row["region"] = official_region(raw["region"])
        if row["region"] is None:
            bad(
                "region",
                f"'{raw['region']}' is not a region of Peru; use one of: "
                f"{', '.join(contract()['regions'])}",
            )
    for column in ("phone", "whatsapp"):
        if raw[column] and not _plausible_phone(raw[column]):
            bad(
                column,
                f"'{raw[column]}' does not look like a phone number; write it like "
                "987 654 321 or (01) 614-4300, several separated by /",
            )
    for column in BOOLEANS:
        value = fold(raw[column])
        row[column] = True if value in TRUE else False if value in FALSE else None
        if value and row[column] is None:
            bad(column, f"'{raw[column]}' is not yes or no; write si or no")
    row["is_sample"] = bool(row["is_sample"])
    for column in DATES:
        if raw[column]:
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw[column]):
                    raise ValueError
                row[column] = date.fromisoformat(raw[column])
            except ValueError:
                bad(
                    column,
                    f"'{raw[column]}' is not a date written as YYYY-MM-DD (for example 2026-03-15)",
                )
    for column, (low, high) in (("latitude", LATITUDES), ("longitude", LONGITUDES)):
        if raw[column]:
            try:
                row[column] = float(raw[column].replace(",", "."))
            except ValueError:
                row[column] = math.nan
            if not low <= row[column] <= high:
                bad(
                    column,
                    f"'{raw[column]}' is not a {column} in Peru (between {low} and "
                    f"{high}; Peru's are negative, for example -12.0464, -77.0428)",
                )
    if bool(raw["latitude"]) != bool(raw["longitude"]):
        bad(
            "longitude" if raw["latitude"] else "latitude",
            "give both latitude and longitude, or neither",
        )
    return row, errors


_PHONE = re.compile(r"\+?[\d\s().-]+")
_EXTENSION = re.compile(r"\s*(anexo|anx\.?|ext\.?)\s*\d+$", re.IGNORECASE)


def _plausible_phone(value: str) -> bool:
    """Digits with usual punctuation, 3 (short lines like 113) to 12 digits each."""
    for part in re.split(r"\s*[/;,]\s*|\s+o\s+", value):
        part = _EXTENSION.sub("", part)
        if not (_PHONE.fullmatch(part) and 3 <= len(re.sub(r"\D", "", part)) <= 12):
            return False
    return True
