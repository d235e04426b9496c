"""Searching the directory: the valid services of a category nearest to the person.

A search never shows an entry past its `valid_until` date; when the person's region has
none, the nearest neighbouring region that has some answers instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Optional

from sqlalchemy import or_, select

from line.core import settings as config
from line.core.db import session_scope
from line.core.text import fold
from line.core.topics import category_ids
from line.directory.store import Service, ServiceView, official_region
from line.understanding import places


@dataclass(frozen=True)
class SearchResult:
    services: list[ServiceView]
    total: int  # matches in region_used, for "ver más"
    region_used: str
    nearby: bool  # nothing in the asked region: these are from a neighbouring one


def search(
    category: str,
    region: str,
    city: Optional[str] = None,
    lat: Optional[float] = None,
    lon: Optional[float] = None,
    offset: int = 0,
    limit: Optional[int] = None,
    today: Optional[date] = None,
) -> SearchResult:
    """One page of valid services of `category` in `region`, nearest first.

    With lat/lon: by distance. Otherwise services in the person's district or
    city come first. When the region has none, the nearest neighbouring region
    that has some is used (nearby=True). An unknown category or region finds
    nothing. `limit` defaults to settings.directory_page_size."""
    today = today or date.today()
    limit = config.settings.directory_page_size if limit is None else limit
    official = official_region(region)
    if official is None or category not in category_ids():
        return SearchResult([], 0, region, False)
    located = lat is not None and lon is not None
    with session_scope() as session:
        found, region_used = _valid(session, category, [official], today), official
        if not found:
            around = places.neighbours(official)
            candidates = _valid(session, category, around, today)
            if candidates:
                if located:
                    nearest = min(candidates, key=lambda s: _sort_km(_distance(s, lat, lon)))
                    region_used = nearest.region
                else:
                    region_used = next(r for r in around if any(s.region == r for s in candidates))
                found = [s for s in candidates if s.region == region_used]
        if located:
            ranked = sorted(
                ((s, _distance(s, lat, lon)) for s in found),
                key=lambda pair: (_sort_km(pair[1]), fold(pair[0].name)),
            )
        else:
            place = fold(city or "")
            ranked = sorted(
                ((s, None) for s in found),
                key=lambda pair: (_closeness(pair[0], place), fold(pair[0].name)),
            )
        start = max(offset, 0)
        page = [ServiceView.of(s, km) for s, km in ranked[start : start + limit]]
        return SearchResult(page, len(ranked), region_used, region_used != official)


def _valid(session, category: str, regions: list[str], today: date) -> list[Service]:
    return list(
        session.execute(
            select(Service).where(
                Service.category == category,
                Service.region.in_(regions),
                or_(Service.valid_until.is_(None), Service.valid_until >= today),
            )
        ).scalars()
    )


def _closeness(service: Service, place: str) -> int:
    """0 same district, 1 same city, 2 same province, 3 elsewhere in the region."""
    if place:
        for rank, value in enumerate((service.district, service.city, service.province)):
            if value and fold(value) == place:
                return rank
    return 3


def _distance(service: Service, lat: float, lon: float) -> Optional[float]:
    """Great-circle (haversine) kilometres; None when the service has no coordinates."""
    if service.latitude is None or service.longitude is None:
        return None
    p1, p2 = math.radians(lat), math.radians(service.latitude)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(service.longitude - lon) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def _sort_km(km: Optional[float]) -> float:
    """Services without coordinates go after every located one."""
    return math.inf if km is None else km
