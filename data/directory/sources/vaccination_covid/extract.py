"""Extract MINSA's COVID-19 vaccination sites (2021-2022 campaign) with their INEI ubigeo.

Raw copies (not committed, see ../README.md):
  * TB_CENTRO_VACUNACION.csv of the public repository GGonzalesD/CentrosDeVacunacion
    at commit c984f9b2f8572c37e1333c4c49ed33ee280e1840 (2022-05-28), sha256
    d72bc93065c3d856801649a4c0067ea7b564af7dc86a50190c0502dbaf5aeff0;
    columns id_centro_vacunacion, id_ubigeo, nombre, latitud, longitud,
    entidad_administra, id_eess.
  * TB_UBIGEOS.csv of the public repository annaabsi/git-scraper-covid19 at commit
    51bebc2b19e595cc6b247e34a989fb708b323bc8 (2022-01-09), sha256
    dbf7ea2824b37f2e014477dddd39076dd3b78ca19367b295cc2d47b1baca451c; MINSA's
    table that turns the internal id_ubigeo into ubigeo_inei.
Both are tables of MINSA's open dataset "Vacunación contra la COVID-19"
(datosabiertos.gob.pe). id_ubigeo is an internal row id, NOT a ubigeo: it must be
joined through TB_UBIGEOS. id_eess is another internal id (it does not match
RENIPRESS's código único).

The list has no address, phone or hours, and most sites were temporary
(schools, plazas, stadiums) so it cannot feed the directory as it is; keep it as
a pointer only (see ../README.md).

Usage (standard library only):
    python extract.py [--centros PATH] [--ubigeos PATH] [--ubigeo-table PATH] [--out PATH]
"""

import argparse
import csv
import pathlib
import sys
from collections import Counter

HERE = pathlib.Path(__file__).resolve().parent
SOURCES = HERE.parent
LAT_RANGE = (-18.6, 0.2)
LON_RANGE = (-81.5, -68.5)
FIELDS = [
    "id_centro_vacunacion",
    "name",
    "entidad_administra",
    "ubigeo",
    "region",
    "province",
    "district",
    "ubigeo_in_table",
    "latitude",
    "longitude",
    "id_eess",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--centros",
        type=pathlib.Path,
        default=SOURCES / "staging/vaccination_covid/TB_CENTRO_VACUNACION.csv",
    )
    ap.add_argument(
        "--ubigeos", type=pathlib.Path, default=SOURCES / "staging/vaccination_covid/TB_UBIGEOS.csv"
    )
    ap.add_argument("--ubigeo-table", type=pathlib.Path, default=SOURCES / "ubigeo/ubigeo_inei.csv")
    ap.add_argument(
        "--out",
        type=pathlib.Path,
        default=SOURCES / "staging/vaccination_covid/vaccination_covid_extract.csv",
    )
    args = ap.parse_args()

    with args.ubigeos.open(encoding="utf-8-sig") as fh:
        id_to_inei = {r["id_ubigeo"]: r["ubigeo_inei"].zfill(6) for r in csv.DictReader(fh)}
    with args.ubigeo_table.open(encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    districts = {r["ubigeo"]: r for r in table}
    regions = {r["department_code"]: r["region"] for r in table}

    out, problems = [], Counter()
    with args.centros.open(encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            code = id_to_inei.get(r["id_ubigeo"])
            if not code or code[:2] not in regions:
                problems["no ubigeo"] += 1
                continue
            try:
                lat, lon = float(r["latitud"]), float(r["longitud"])
                ok = LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]
            except ValueError:
                ok = False
            if not ok:
                problems["coordinates blanked"] += 1
            d = districts.get(code)
            out.append(
                {
                    "id_centro_vacunacion": r["id_centro_vacunacion"],
                    "name": " ".join(r["nombre"].split()),
                    "entidad_administra": r["entidad_administra"].strip(),
                    "ubigeo": code,
                    "region": regions[code[:2]],
                    "province": d["province"] if d else "",
                    "district": d["district"] if d else "",
                    "ubigeo_in_table": "si" if d else "no",
                    "latitude": f"{lat:.6f}" if ok else "",
                    "longitude": f"{lon:.6f}" if ok else "",
                    "id_eess": r["id_eess"],
                }
            )
    out.sort(key=lambda x: (x["ubigeo"], x["name"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(out)
    print(f"{args.out}: {len(out)} rows; {dict(problems)}")
    for region, n in sorted(Counter(x["region"] for x in out).items()):
        print(f"    {region}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
