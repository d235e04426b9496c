"""The place gazetteer: what people write about where they are, mapped to the
contract's official regions, without ever turning ordinary Spanish into a place."""

import ast
import time
from pathlib import Path

import pytest
import yaml

from line.core.settings import PROJECT_ROOT
from line.core.text import fold
from line.understanding import places
from line.understanding.places import Place

CONTRACT_REGIONS = yaml.safe_load(
    (PROJECT_ROOT / "contract" / "topics.yml").read_text(encoding="utf-8")
)["regions"]
LEXICON = yaml.safe_load(places.LEXICON.read_text(encoding="utf-8"))

LIMA_DISTRICTS = [
    "Ancón",
    "Ate",
    "Barranco",
    "Breña",
    "Carabayllo",
    "Chaclacayo",
    "Chorrillos",
    "Cieneguilla",
    "Comas",
    "El Agustino",
    "Independencia",
    "Jesús María",
    "La Molina",
    "La Victoria",
    "Cercado de Lima",
    "Lince",
    "Los Olivos",
    "Lurigancho",
    "Lurín",
    "Magdalena del Mar",
    "Miraflores",
    "Pachacámac",
    "Pucusana",
    "Pueblo Libre",
    "Puente Piedra",
    "Punta Hermosa",
    "Punta Negra",
    "Rímac",
    "San Bartolo",
    "San Borja",
    "San Isidro",
    "San Juan de Lurigancho",
    "San Juan de Miraflores",
    "San Luis",
    "San Martín de Porres",
    "San Miguel",
    "Santa Anita",
    "Santa María del Mar",
    "Santa Rosa",
    "Santiago de Surco",
    "Surquillo",
    "Villa El Salvador",
    "Villa María del Triunfo",
]
CALLAO_DISTRICTS = [
    "Callao",
    "Bellavista",
    "La Perla",
    "La Punta",
    "Carmen de la Legua",
    "Ventanilla",
    "Mi Perú",
]


def where(place):
    return (place.region, place.city) if place else None


# --- Regions -------------------------------------------------------------------


def test_regions_are_the_contract_regions():
    assert places.regions() == CONTRACT_REGIONS
    assert len(places.regions()) == 25


@pytest.mark.parametrize("region", CONTRACT_REGIONS)
def test_every_region_by_official_name_without_accents_and_in_a_sentence(region):
    for text in (region, fold(region), region.upper()):
        assert where(places.resolve(text)) == (region, None), text
    assert where(places.find_in_text(f"busco albergue en {fold(region)} para hoy")) == (
        region,
        None,
    )


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Áncash", True),
        ("ancash", True),
        ("ÁNCASH", True),
        ("la libertad", True),
        ("San Martin", True),
        ("madre de dios", True),
        ("Callao", True),
        ("cuzco", False),
        ("Trujillo", False),
        ("Lima Norte", False),
        ("", False),
    ],
)
def test_is_region_ignores_case_and_accents(name, expected):
    assert places.is_region(name) is expected


# --- Answers to "where are you?" ------------------------------------------------


@pytest.mark.parametrize(
    "text, region, city",
    [
        # The examples of the brief.
        ("trujillo", "La Libertad", "Trujillo"),
        ("en el callao por bellavista", "Callao", "Bellavista"),
        ("estoy en sjl", "Lima", "San Juan de Lurigancho"),
        ("vivo en arequipa, por el cercado", "Arequipa", "Arequipa"),
        ("por la victoria cerca a gamarra", "Lima", "La Victoria"),
        ("trujilo", "La Libertad", "Trujillo"),
        ("arekipa", "Arequipa", None),
        ("chimbote", "Áncash", "Chimbote"),
        # Region nicknames and misspellings.
        ("areqipa", "Arequipa", None),
        ("aqp", "Arequipa", None),
        ("cuzco", "Cusco", None),
        ("qosqo", "Cusco", None),
        ("junin", "Junín", None),
        ("huanuco", "Huánuco", None),
        ("ancash", "Áncash", None),
        ("la libertad", "La Libertad", None),
        ("lalibertad", "La Libertad", None),
        ("madre de dios", "Madre de Dios", None),
        ("san martin", "San Martín", None),
        ("lambayeque", "Lambayeque", None),
        ("cayao", "Callao", None),
        ("el callao", "Callao", None),
        ("la capital", "Lima", None),
        ("lima metropolitana", "Lima", None),
        ("LIMA", "Lima", None),
        # Lima nicknames and areas.
        ("smp", "Lima", "San Martín de Porres"),
        ("SJM", "Lima", "San Juan de Miraflores"),
        ("ves", "Lima", "Villa El Salvador"),
        ("vivo en vmt", "Lima", "Villa María del Triunfo"),
        ("el cercado", "Lima", "Cercado de Lima"),
        ("en el centro de lima", "Lima", "Cercado de Lima"),
        ("rimac", "Lima", "Rímac"),
        ("cono norte", "Lima", "Lima Norte"),
        ("gamarra", "Lima", "La Victoria"),
        ("por huaycan", "Lima", "Ate"),
        ("chosica", "Lima", "Lurigancho"),
        ("surco", "Lima", "Santiago de Surco"),
        ("estoy en canto grande", "Lima", "San Juan de Lurigancho"),
        ("x la victoria", "Lima", "La Victoria"),
        ("huacho", "Lima", "Huacho"),
        ("cañete", "Lima", "Cañete"),
        # Callao.
        ("ventanilla", "Callao", "Ventanilla"),
        ("la perla", "Callao", "La Perla"),
        ("carmen de la legua", "Callao", "Carmen de la Legua"),
        ("en la punta", "Callao", "La Punta"),
        ("vivo en mi peru", "Callao", "Mi Perú"),
        ("callao cercado", "Callao", "Callao"),
        # Main cities and districts elsewhere.
        ("huaraz", "Áncash", "Huaraz"),
        ("la esperanza", "La Libertad", "La Esperanza"),
        ("en el porvenir", "La Libertad", "El Porvenir"),
        ("victor larco", "La Libertad", "Víctor Larco Herrera"),
        ("florencia de mora", "La Libertad", "Florencia de Mora"),
        ("chiclayo", "Lambayeque", "Chiclayo"),
        ("ferreñafe", "Lambayeque", "Ferreñafe"),
        ("jose leonardo ortiz", "Lambayeque", "José Leonardo Ortiz"),
        ("sullana", "Piura", "Sullana"),
        ("paita", "Piura", "Paita"),
        ("talara", "Piura", "Talara"),
        ("castilla", "Piura", "Castilla"),
        ("26 de octubre", "Piura", "Veintiséis de Octubre"),
        ("zarumilla", "Tumbes", "Zarumilla"),
        ("en tumbes, aguas verdes", "Tumbes", "Aguas Verdes"),
        ("cerro colorado", "Arequipa", "Cerro Colorado"),
        ("cayma", "Arequipa", "Cayma"),
        ("paucarpata", "Arequipa", "Paucarpata"),
        ("mariano melgar", "Arequipa", "Mariano Melgar"),
        ("wanchaq", "Cusco", "Wanchaq"),
        ("san sebastian", "Cusco", "San Sebastián"),
        ("santiago", "Cusco", "Santiago"),
        ("chincha", "Ica", "Chincha"),
        ("pisco", "Ica", "Pisco"),
        ("nasca", "Ica", "Nazca"),
        ("huancayo", "Junín", "Huancayo"),
        ("el tambo", "Junín", "El Tambo"),
        ("tarma", "Junín", "Tarma"),
        ("jauja", "Junín", "Jauja"),
        ("la merced", "Junín", "La Merced"),
        ("gregorio albarracin", "Tacna", "Coronel Gregorio Albarracín Lanchipa"),
        ("juliaca", "Puno", "Juliaca"),
        ("iquitos", "Loreto", "Iquitos"),
        ("pucallpa", "Ucayali", "Pucallpa"),
        ("tarapoto", "San Martín", "Tarapoto"),
        ("moyobamba", "San Martín", "Moyobamba"),
        ("jaen", "Cajamarca", "Jaén"),
        ("tingo maria", "Huánuco", "Tingo María"),
        ("huamanga", "Ayacucho", "Huamanga"),
        ("abancay", "Apurímac", "Abancay"),
        ("andahuaylas", "Apurímac", "Andahuaylas"),
        ("cerro de pasco", "Pasco", "Cerro de Pasco"),
        ("ilo", "Moquegua", "Ilo"),
        ("puerto maldonado", "Madre de Dios", "Puerto Maldonado"),
        ("chachapoyas", "Amazonas", "Chachapoyas"),
        ("bagua", "Amazonas", "Bagua"),
        # Typos not in the lexicon.
        ("huancallo", "Junín", "Huancayo"),
        ("chiclallo", "Lambayeque", "Chiclayo"),
        ("pucalpa", "Ucayali", "Pucallpa"),
        ("chorrillo", "Lima", "Chorrillos"),
        ("san juan de lurigancio", "Lima", "San Juan de Lurigancho"),
        ("villa maria del trinfo", "Lima", "Villa María del Triunfo"),
        ("tarapotto", "San Martín", "Tarapoto"),
        ("iquito", "Loreto", "Iquitos"),
    ],
)
def test_resolve_answers(text, region, city):
    assert where(places.resolve(text)) == (region, city)


def test_a_place_carries_coordinates_and_is_immutable():
    place = places.resolve("trujillo")
    assert place == Place("La Libertad", "Trujillo", -8.11, -79.03)
    with pytest.raises(AttributeError):
        place.region = "Lima"


def test_every_lima_district_is_known():
    assert len(LIMA_DISTRICTS) == 43
    for district in LIMA_DISTRICTS:
        assert where(places.resolve(f"vivo en {district}")) == ("Lima", district), district


def test_every_callao_district_is_callao():
    for district in CALLAO_DISTRICTS:
        assert places.resolve(f"por {fold(district)}").region == "Callao", district


# --- Whole messages ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, region, city",
    [
        ("busco albergue en tacna para esta noche", "Tacna", None),
        ("hay alguna posta cerca de sjl?", "Lima", "San Juan de Lurigancho"),
        ("asesoria legal gratuita en san juan de miraflores", "Lima", "San Juan de Miraflores"),
        ("necesito un centro de salud en arequipa, por el cercado", "Arequipa", "Arequipa"),
        ("la cruz roja tiene local en chiclayo?", "Lambayeque", "Chiclayo"),
        ("donde me vacuno en trujilo", "La Libertad", "Trujillo"),
        ("hay comedor en VES?", "Lima", "Villa El Salvador"),
        ("necesito un psicologo x smp", "Lima", "San Martín de Porres"),
        ("donde queda migraciones en breña", "Lima", "Breña"),
        ("olla comun cerca al rimac", "Lima", "Rímac"),
        ("busco chamba en chimbote", "Áncash", "Chimbote"),
        ("hay albergue en aguas verdes o en tumbes?", "Tumbes", "Aguas Verdes"),
        ("donde dan comida en la capital", "Lima", None),
        ("me mude a ventanilla la semana pasada", "Callao", "Ventanilla"),
        ("necesito un doctor en el callao", "Callao", None),
        ("quiero vacunar a mi hijo en huancayo, en el tambo", "Junín", "El Tambo"),
        ("donde hay una posta en el agustino", "Lima", "El Agustino"),
        ("CENTRO DE SALUD EN JULIACA", "Puno", "Juliaca"),
        ("Dónde está la DEMUNA de Jesús María?", "Lima", "Jesús María"),
    ],
)
def test_find_in_text(text, region, city):
    assert where(places.find_in_text(text)) == (region, city)


@pytest.mark.parametrize(
    "text",
    [
        # The negatives of the brief.
        "necesito ayuda con mis papeles",
        "donde me vacuno",
        "quiero hablar con una persona",
        "tengo fiebre y tos",
        "cuanto cuesta",
        "la linea 100 es gratis",
        "me pagan menos",
        "la prueba es gratis",
        # Common words that are place names alone, or one typo away from one.
        "paz",
        "libertad",
        "union",
        "progreso",
        "esperanza",
        "victoria",
        "florida",
        "puente",
        "santa",
        "quiero vivir en paz y con libertad",
        "no pierdo la esperanza",
        "la union hace la fuerza",
        "pienso en el porvenir de mis hijos",
        "en ves de ayudarme me cobran",
        "ves que no me contestan",
        "esta cerrado el centro de salud",
        "me quede callado",
        "mi esposo rompio la puerta",
        "la region esta en alerta extrema",
        "hacemos una chancha para la comida",
        "mi hija juliana tiene fiebre",
        "mi bebe no camina todavia",
        "buena tarde, con calma por favor",
        "tengo un ambo para la entrevista",
        "se me perdio la cedula y el pasaporte",
        "ay madre de dios que hago",
        "mañana tengo cita en el hospital",
        "la union de mi familia es lo primero",
        # Places abroad.
        "soy de maracaibo",
        "soy de trujillo, venezuela",
        "mi familia esta en santiago de chile",
        "vivia en la capital de venezuela",
    ],
)
def test_ordinary_spanish_is_no_place(text):
    assert places.find_in_text(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "quiero hablar con una persona",
        "no se",
        "en mi casa",
        "cerca del mercado",
        "buena pregunta",
        "no pierdo la esperanza",
        "ves que no me ayudan",
    ],
)
def test_answers_that_are_no_place(text):
    assert places.resolve(text) is None


# --- Ambiguous names ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, region, city",
    [
        # The longest known name wins.
        ("vivo en san martin de porres", "Lima", "San Martín de Porres"),
        ("vivo en san martin", "San Martín", None),
        ("tarapoto, san martin", "San Martín", "Tarapoto"),
        ("nueva cajamarca", "San Martín", "Nueva Cajamarca"),
        ("plaza san martin", "Lima", "Cercado de Lima"),
        ("santiago de surco", "Lima", "Santiago de Surco"),
        ("en la libertad", "La Libertad", None),
        ("santa anita", "Lima", "Santa Anita"),
        # The better-known namesake, unless the other's region is named too.
        ("independencia", "Lima", "Independencia"),
        ("independencia, huaraz", "Áncash", "Independencia"),
        ("miraflores", "Lima", "Miraflores"),
        ("miraflores arequipa", "Arequipa", "Miraflores"),
        ("bellavista", "Callao", "Bellavista"),
        ("bellavista, sullana", "Piura", "Bellavista"),
        ("la victoria", "Lima", "La Victoria"),
        ("la victoria, chiclayo", "Lambayeque", "La Victoria"),
        ("cercado", "Lima", "Cercado de Lima"),
        ("cercado de arequipa", "Arequipa", "Arequipa"),
        ("en el cusco por el cercado", "Cusco", "Cusco"),
        ("chilca", "Junín", "Chilca"),
        ("chilca, cañete", "Lima", "Chilca"),
        ("san juan bautista", "Loreto", "San Juan Bautista"),
        ("san juan bautista, ayacucho", "Ayacucho", "San Juan Bautista"),
        ("san miguel", "Lima", "San Miguel"),
        # "San Juan" alone: both San Juans of Lima.
        ("san juan", "Lima", None),
        # A guarded name counts out of context where its region is named.
        ("en trujillo, la esperanza", "La Libertad", "La Esperanza"),
        ("vivo en la esperanza", "La Libertad", "La Esperanza"),
        # A capital named like its region is the region.
        ("arequipa", "Arequipa", None),
        ("cusco", "Cusco", None),
        ("ciudad del cusco", "Cusco", "Cusco"),
    ],
)
def test_ambiguity_rules(text, region, city):
    assert where(places.resolve(text)) == (region, city)


def test_guarded_names_need_context_in_a_message():
    assert places.find_in_text("la esperanza") is None
    assert places.find_in_text("ventanilla") is None
    assert where(places.find_in_text("hay posta en ventanilla?")) == ("Callao", "Ventanilla")
    assert where(places.find_in_text("busco albergue por la esperanza")) == (
        "La Libertad",
        "La Esperanza",
    )


# --- Neighbours ----------------------------------------------------------------------


def test_neighbours_are_symmetric_and_official():
    for region in places.regions():
        around = places.neighbours(region)
        assert around, region
        assert region not in around
        for other in around:
            assert other in CONTRACT_REGIONS, (region, other)
            assert region in places.neighbours(other), (region, other)


@pytest.mark.parametrize(
    "region, expected",
    [
        ("Callao", ["Lima"]),
        ("Tumbes", ["Piura"]),
        ("Tacna", ["Moquegua", "Puno"]),
        ("ancash", ["Huánuco", "La Libertad", "Lima"]),
        ("MADRE DE DIOS", ["Cusco", "Puno", "Ucayali"]),
    ],
)
def test_neighbours_of(region, expected):
    assert sorted(places.neighbours(region)) == expected


def test_neighbours_nearest_first_and_unknown_is_empty():
    assert places.neighbours("Lima")[0] == "Callao"
    assert places.neighbours("Narnia") == []


# --- The lexicon ----------------------------------------------------------------------


def _entries():
    for entry in LEXICON["regions"]:
        for place in entry["places"]:
            yield entry["region"], place


def test_lexicon_regions_and_coordinates():
    assert [entry["region"] for entry in LEXICON["regions"]] == CONTRACT_REGIONS
    for entry in LEXICON["regions"]:
        assert entry["places"], entry["region"]
        for lat, lon in [entry["at"]] + [p["at"] for p in entry["places"]]:
            assert -18.5 < lat < 0 and -81.5 < lon < -68.5, entry["region"]


def test_every_place_resolves_to_its_region_when_the_region_is_named():
    for region, place in _entries():
        expected = None if fold(place["name"]) == fold(region) else place["name"]
        assert where(places.resolve(f"{place['name']} en {region}")) == (region, expected), place[
            "name"
        ]


def test_every_alias_lands_in_a_contract_region():
    for region, place in _entries():
        for alias in place.get("aka", []) + place.get("guarded", []) + place.get("local", []):
            found = places.resolve(f"{alias} en {region}")
            assert found and found.region == region, (region, alias)
            assert places.resolve(alias).region in CONTRACT_REGIONS, alias


def test_a_spelling_belongs_to_one_region_except_where_it_is_local():
    """A spelling used in two regions is settled in the lexicon: all but one are `local`."""
    regions = {}
    for entry in LEXICON["regions"]:
        for item in [entry, *entry["places"]]:
            local = {fold(alias) for alias in item.get("local", [])}
            for alias in [
                item.get("name", entry["region"]),
                *item.get("aka", []),
                *item.get("guarded", []),
            ]:
                if fold(alias) not in local:
                    regions.setdefault(fold(alias), set()).add(entry["region"])
    assert {key: found for key, found in regions.items() if len(found) > 1} == {}


# --- Running on every message ------------------------------------------------------------


def test_lookups_are_fast():
    messages = [
        "busco albergue en tacna para esta noche",
        "hay alguna posta cerca de sjl?",
        "necesito ayuda con mis papeles",
        "donde me vacuno en trujilo",
        "quiero hablar con una persona por favor, es urgente",
    ] * 40
    places.find_in_text("calentar")  # build the index outside the timing
    start = time.perf_counter()
    for message in messages:
        places.find_in_text(message)
    assert (time.perf_counter() - start) / len(messages) < 0.001


def test_module_never_imports_rasa():
    tree = ast.parse(Path(places.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not any(name.split(".")[0] in {"rasa", "rasa_sdk"} for name in imported)


def test_a_location_pin_resolves_to_the_nearest_known_place():
    assert places.nearest(-12.06, -77.13) == places.Place("Callao", "Bellavista", -12.06, -77.12)
    assert places.nearest(-8.11, -79.03).city == "Trujillo"
    assert places.nearest(40.4, -3.7) is None  # Madrid: outside Peru
