"""Service categories are recognised from the words migrants actually type, and
the documented priority settles messages that name more than one."""

import pytest

from line.understanding.categories import category_ids, find_category

PHRASINGS = {
    "health": [
        "donde hay una posta medica en SJL",
        "necesito un doctor",
        "hay clínica gratis?",
        "centro de salud mas cercano",
        "hopsital en piura",
        "necesito un médico pa mi hijo",
    ],
    "covid_testing": [
        "donde me hago la prueba de covid",
        "prueba antigena gratis",
        "hisopado en callao",
        "descarte covid en lima",
        "prueba molecular",
        "covid",
    ],
    "vaccination": [
        "donde vacunan en trujillo",
        "bacunacion para adultos",
        "tercera dosis",
        "vacunatorio mas cercano",
        "quiero vacunarme",
        "vacunacoin",
    ],
    "mental_health": [
        "necesito un psicologo",
        "sicologa gratis",
        "apoyo emocional",
        "centro de salud mental comunitario",
        "hay CSMC en arequipa?",
        "terapia para mi hija",
    ],
    "legal_aid": [
        "abogado gratis",
        "asesoria legal",
        "me quieren desalojar",
        "ayuda con mis tramites",
        "orientación legal",
        "defensoria del pueblo",
    ],
    "migration_office": [
        "donde queda migraciones",
        "oficina de migraciones en tacna",
        "quiero pedir refugio",
        "cancilleria",
        "migrasiones",
        "la CEPR donde atiende",
    ],
    "shelter": [
        "donde hay un albergue",
        "alberge en tumbes",
        "no tengo donde dormir",
        "refugio para dormir",
        "casa de acogida",
        "hospedaje gratis",
        "albergeu",
    ],
    "food": [
        "olla comun",
        "comedor popular",
        "banco de alimentos",
        "canasta de viveres",
        "no tenemos q comer",
        "donde dan comida",
    ],
    "cash_assistance": [
        "bono",
        "ayuda economica",
        "tarjeta de ayuda",
        "transferencia",
        "apoyo con dinero",
        "ayuda para pagar el alquiler",
    ],
    "protection": [
        "centro emergencia mujer",
        "demuna",
        "quiero denunciar violencia",
        "comisaria de familia",
        "cem de sjl",
        "proteccion para mi hija",
    ],
    "family_contact": [
        "busco a mi hermano",
        "familiares perdidos",
        "restablecimiento del contacto",
        "perdi contacto con mi mama",
        "rcf",
        "quiero llamar a mi familia",
    ],
    "education": [
        "colegio para mi hijo",
        "matricula escolar",
        "ugel",
        "inscribir a mi hijo",
        "escuela",
        "colejio",
    ],
    "employment": [
        "trabajo",
        "busco chamba",
        "bolsa de trabajo",
        "sunafil",
        "centro de empleo",
        "empleo en chiclayo",
    ],
    "red_cross_office": [
        "oficina de la cruz roja",
        "donde queda la cruz roja",
        "sede de la cruz roja en piura",
        "quiero ser voluntario",
        "filial cruz roja",
        "cruz roja",
    ],
}

AMBIGUOUS = [
    # the more specific phrase swallows the word inside it
    ("prueba de covid", "covid_testing"),
    ("vacuna contra el covid", "vaccination"),
    ("prueba de embarazo", "health"),
    ("centro de salud mental", "mental_health"),
    ("demuna defensoria municipal del nino", "protection"),
    # otherwise the category listed first in categories.yml wins
    ("oficina de la cruz roja para el bono", "red_cross_office"),
    ("necesito un psicologo en el hospital", "mental_health"),
    ("necesito trabajo en un hospital", "employment"),
    ("tramite en migraciones con abogado", "migration_office"),
    ("abogado para denunciar violencia", "protection"),
    # weak words only decide alone
    ("la cruz roja da bonos?", "cash_assistance"),
    ("covid y necesito un albergue", "shelter"),
    ("tengo ptp me atienden en el hospital?", "health"),
    ("refugio", "shelter"),
]

UNRELATED = [
    "hola buenos dias",
    "gracias",
    "que hora es",
    "mi celular no carga",
    "soy venezolano",
    "mi hijo se ahogado",
    "mi esposo trabaja en lima",
    "quiero hablar con una persona",
    "",
]


@pytest.mark.parametrize("category,text", [(c, t) for c, texts in PHRASINGS.items() for t in texts])
def test_phrasings(category, text):
    assert find_category(text) == category


def test_every_category_is_covered():
    assert set(PHRASINGS) == set(category_ids())


@pytest.mark.parametrize("text,category", AMBIGUOUS)
def test_priority(text, category):
    assert find_category(text) == category


@pytest.mark.parametrize("text", UNRELATED)
def test_unrelated_text(text):
    assert find_category(text) is None
