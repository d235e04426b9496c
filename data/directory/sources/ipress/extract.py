"""Extract the health facilities the line needs from a copy of MINSA/SUSALUD's IPRESS list.

Raw copy (not committed, see ../README.md): the file
    data/processed/ipress_spatial.csv
of the public repository alejandroventuraventurameza-tech/emergency_access_peru
at commit c9ee2f9392d1e4085f5c163963234434c34ec098 (2026-04-24), sha256
8448cdf40db763e9bcd035e6e7b15e987d043f0624966a2d8a346003e5285dbc. It is the
7,953 rows with coordinates of the course data file IPRESS.csv (20,819 rows),
the RENIPRESS/RENAES "listado de establecimientos" export (SUSALUD/MINSA) with
columns Institución, Código Único, Nombre del establecimiento, ... NORTE, ESTE;
that project only renamed the columns (lowercase, no accents) and swapped
NORTE/ESTE into lon/lat. The newest 'Inicio de Actividad' in it is 2017-02-28,
so the list is a snapshot of about 2017: every row must be re-checked.

Usage (standard library only):
    python extract.py [--raw PATH] [--ubigeo PATH] [--out PATH]
Defaults: ../staging/ipress/ipress_spatial.csv, ../ubigeo/ubigeo_inei.csv,
../staging/ipress/ipress_extract.csv. With --centroids (default
../staging/ubigeo_alt/ubigeo_distrito.csv, used only if present: columns inei,
latitude, longitude) each row gets km_from_district_centroid, to spot
coordinates that do not match the facility's district (re-check those).

Rows kept: estado ACTIVADO, condición EN FUNCIONAMIENTO, institution open to the
public (MINSA, GOBIERNO REGIONAL, MUNICIPALIDAD PROVINCIAL/DISTRITAL, ESSALUD),
type "ESTABLECIMIENTO DE SALUD SIN/CON INTERNAMIENTO" (plus the two
"CENTROS DE VACUNACION" support services). Dropped: private providers, the
armed forces' and police health services and INPE (members only), support
services (labs, opticians...), and the director's name (personal data).
Region, province and district come from the INEI ubigeo code (table in
../ubigeo), never from the names; a code missing from that table keeps the
source's names and is flagged ubigeo_in_table=no.
"""

import argparse
import csv
import math
import pathlib
import sys
from collections import Counter

HERE = pathlib.Path(__file__).resolve().parent
SOURCES = HERE.parent

PUBLIC = {
    "MINSA",
    "GOBIERNO REGIONAL",
    "MUNICIPALIDAD PROVINCIAL",
    "MUNICIPALIDAD DISTRITAL",
    "ESSALUD",
}
FACILITY_TYPES = {
    "ESTABLECIMIENTO DE SALUD SIN INTERNAMIENTO",
    "ESTABLECIMIENTO DE SALUD CON INTERNAMIENTO",
}
NO_VALUE = {"", "ACTUALIZAR", "NULL", "NO TIENE", "NO CUENTA CON TELEFONO", "-", "0"}

# Peru's bounding box, generous
LAT_RANGE = (-18.6, 0.2)
LON_RANGE = (-81.5, -68.5)

FIELDS = [
    "codigo_unico",
    "name",
    "institucion",
    "clasificacion",
    "tipo",
    "categoria",
    "ubigeo",
    "region",
    "province",
    "district",
    "ubigeo_in_table",
    "source_departamento",
    "source_provincia",
    "source_distrito",
    "address",
    "phone",
    "hours",
    "latitude",
    "longitude",
    "inicio_actividad",
    "suggested_category",
    "km_from_district_centroid",
]


def clean(value: str) -> str:
    value = " ".join((value or "").split())
    return "" if value.upper() in NO_VALUE else value


def suggested_category(row: dict) -> str:
    text = f"{row['nombre_del_establecimiento']} {row['clasificacion']}".upper()
    if "SALUD MENTAL" in text or "DEPENDIENTES A SUSTANCIAS" in text:
        return "mental_health"
    if "CENTROS DE VACUNACION" in row["clasificacion"].upper():
        return "vaccination"
    return "health"


def load_ubigeo(path: pathlib.Path):
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    districts = {r["ubigeo"]: r for r in rows}
    regions = {r["department_code"]: r["region"] for r in rows}
    return districts, regions


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--raw", type=pathlib.Path, default=SOURCES / "staging/ipress/ipress_spatial.csv"
    )
    ap.add_argument("--ubigeo", type=pathlib.Path, default=SOURCES / "ubigeo/ubigeo_inei.csv")
    ap.add_argument(
        "--centroids", type=pathlib.Path, default=SOURCES / "staging/ubigeo_alt/ubigeo_distrito.csv"
    )
    ap.add_argument(
        "--out", type=pathlib.Path, default=SOURCES / "staging/ipress/ipress_extract.csv"
    )
    args = ap.parse_args()

    districts, regions = load_ubigeo(args.ubigeo)
    centroids = {}
    if args.centroids.exists():
        with args.centroids.open(encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                try:
                    centroids[r["inei"]] = (float(r["latitude"]), float(r["longitude"]))
                except (KeyError, ValueError):
                    pass
    dropped = Counter()
    out = []
    with args.raw.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if (
                row["estado"].strip() != "ACTIVADO"
                or row["condicion"].strip() != "EN FUNCIONAMIENTO"
            ):
                dropped["not active / not working"] += 1
                continue
            if row["institucion"].strip() not in PUBLIC:
                dropped[f"institution {row['institucion'].strip()}"] += 1
                continue
            vacc = "CENTROS DE VACUNACION" in row["clasificacion"].upper()
            if row["tipo"].strip() not in FACILITY_TYPES and not vacc:
                dropped["support service"] += 1
                continue
            code = row["ubigeo"].strip().zfill(6)
            if code[:2] not in regions:
                dropped["bad ubigeo"] += 1
                continue
            try:
                lat, lon = float(row["lat"]), float(row["lon"])
            except ValueError:
                lat = lon = None
            if lat is None or not (
                LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]
            ):
                lat = lon = None
                dropped["coordinates outside Peru (kept, coordinates blanked)"] += 1
            d = districts.get(code)
            km = ""
            if lat is not None and code in centroids:
                clat, clon = centroids[code]
                east_west = (lon - clon) * 111.2 * math.cos(math.radians(clat))
                km = f"{math.hypot((lat - clat) * 111.2, east_west):.1f}"
            out.append(
                {
                    "codigo_unico": row["codigo_unico"].strip().zfill(8),
                    "name": clean(row["nombre_del_establecimiento"]),
                    "institucion": row["institucion"].strip(),
                    "clasificacion": clean(row["clasificacion"]),
                    "tipo": clean(row["tipo"]),
                    "categoria": clean(row["categoria"]),
                    "ubigeo": code,
                    "region": regions[code[:2]],
                    "province": d["province"] if d else clean(row["provincia"]).title(),
                    "district": d["district"] if d else clean(row["distrito"]).title(),
                    "ubigeo_in_table": "si" if d else "no",
                    "source_departamento": clean(row["departamento"]),
                    "source_provincia": clean(row["provincia"]),
                    "source_distrito": clean(row["distrito"]),
                    "address": clean(row["direccion"]),
                    "phone": clean(row["telefono"]),
                    "hours": clean(row["horario"]),
                    "latitude": "" if lat is None else f"{lat:.6f}",
                    "longitude": "" if lon is None else f"{lon:.6f}",
                    "inicio_actividad": clean(row["inicio_de_actividad"]),
                    "suggested_category": suggested_category(row),
                    "km_from_district_centroid": km,
                }
            )
    out.sort(key=lambda r: (r["ubigeo"], r["name"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(out)

    print(f"{args.out}: {len(out)} rows")
    for k, v in sorted(dropped.items()):
        print(f"  dropped/flagged {k}: {v}")
    print("  by suggested_category:", dict(Counter(r["suggested_category"] for r in out)))
    print(
        "  without address:",
        sum(1 for r in out if not r["address"]),
        "| without phone:",
        sum(1 for r in out if not r["phone"]),
        "| without hours:",
        sum(1 for r in out if not r["hours"]),
        "| ubigeo not in table:",
        sum(1 for r in out if r["ubigeo_in_table"] == "no"),
        "| without coordinates:",
        sum(1 for r in out if not r["latitude"]),
        "| >50 km from district centroid:",
        sum(
            1
            for r in out
            if r["km_from_district_centroid"] and float(r["km_from_district_centroid"]) > 50
        ),
    )
    print("  by region:")
    for region, n in sorted(Counter(r["region"] for r in out).items()):
        print(f"    {region}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
