"""The safety net must catch danger happening now however it is typed, and stay
quiet on general questions that the FAQ topics answer."""

import pytest

from line.core.text import expand_abbreviations, fold
from line.core.topics import emergency_numbers
from line.understanding.safety import Danger, detect

N = emergency_numbers()
NUMBERS = {
    "violence": (N["police"], N["violence_line_100"]),
    "child_abuse": (N["violence_line_100"], N["police"]),
    "trafficking": (N["trafficking_line"], N["police"]),
    "suicide": (N["covid_health_line"], N["ambulance_samu"]),
    "medical": (N["ambulance_samu"], N["firefighters"]),
    "fire": (N["firefighters"],),
}

POSITIVES = [
    # violence
    ("mi pareja me acaba de golpear", "violence"),
    ("mi marido me esta pegando", "violence"),
    ("me estan extorsionando y dicen q me van a hacer daño", "violence"),
    ("unos tipos me cobran cupo en el puesto del mercado", "violence"),
    ("me quiere matar", "violence"),
    ("me amenazo con un cuchillo", "violence"),
    ("me violaron", "violence"),
    ("AYUDAAAA mi esposo me está pegandoooo", "violence"),
    ("mi ex me amenaza todos los dias", "violence"),
    ("el borracho de mi marido me golpeo y se fue", "violence"),
    ("ayuda x favor mi pareja quiere matarme", "violence"),
    ("me amenazaron de muerte", "violence"),
    ("tengo miedo q me mate esta noche", "violence"),
    ("un hombre me esta siguiendo", "violence"),
    ("abusaron de mi anoche", "violence"),
    ("mi conviviente me pego y me boto de la casa", "violence"),
    ("me van a matar ayuda", "violence"),
    ("mi casero me amenaza con botarme y me pego", "violence"),
    # child abuse
    ("abusaron de mi hija", "child_abuse"),
    ("mi padrastro golpea a mi hijo todos los dias", "child_abuse"),
    ("a mi hija la violaron", "child_abuse"),
    ("el vecino manoseo a mi nina", "child_abuse"),
    ("tengo 13 anos y mi padrastro me pega", "child_abuse"),
    ("mi esposo maltrata a mis hijos", "child_abuse"),
    # trafficking
    ("nos tienen encerradas y nos quitaron los pasaportes", "trafficking"),
    ("me obligan a trabajar sin pagarme y no me dejan salir", "trafficking"),
    ("no me dejan irme de la casa donde trabajo", "trafficking"),
    ("nos obligan a prostituirnos", "trafficking"),
    ("secuestraron a mi hermano", "trafficking"),
    ("me tienen retenida en un cuarto", "trafficking"),
    ("somos victimas de trata", "trafficking"),
    # suicide
    ("no aguanto mas quiero morirme", "suicide"),
    ("me quiero matar", "suicide"),
    ("pienso en quitarme la vida", "suicide"),
    ("ya no quiero vivir", "suicide"),
    ("me voy a cortar", "suicide"),
    ("kiero suicidarme", "suicide"),
    ("me quiero morir ya no puedo mas", "suicide"),
    ("tengo pensamientos suicidas", "suicide"),
    ("mi hermano dice que se va a matar", "suicide"),
    ("quiero tirarme del puente", "suicide"),
    ("estarian mejor sin mi", "suicide"),
    ("me corte las venas", "suicide"),
    ("quiero dormir y no despertar nunca mas", "suicide"),
    ("si me quiero matar a quien llamo", "suicide"),
    # medical
    ("mi abuela se desmayo y no reacciona", "medical"),
    ("mi bebe no respira", "medical"),
    ("esta convulsionando", "medical"),
    ("sangra mucho", "medical"),
    ("me duele el pecho y no puedo respirar", "medical"),
    ("se tomo unas pastillas", "medical"),
    ("mi bb se trago una moneda", "medical"),
    ("mi esposa esta embarazada y esta sangrando", "medical"),
    ("se le rompio la fuente a mi hermana", "medical"),
    ("mi papa tiene un dolor fuerte en el pecho", "medical"),
    ("mi hijo se tomo lejia", "medical"),
    ("no puedo respirar", "medical"),
    ("mi mama esta inconsciente", "medical"),
    ("le esta dando un infarto", "medical"),
    ("lo atropello un carro", "medical"),
    ("mi esposo me apuñalo y estoy sangrando mucho", "medical"),
    ("mi hijito se esta ahogando", "medical"),
    ("me falta el aire tengo covid", "medical"),
    ("se tomo todas las pastillas para matarse", "medical"),
    # fire
    ("se esta quemando la casa", "fire"),
    ("hay un incendio en mi edificio", "fire"),
    ("huele a gas en toda la casa", "fire"),
    ("se prendio fuego la cocina", "fire"),
    ("llamen a los bomberos", "fire"),
    ("el cuarto de al lado esta en llamas", "fire"),
]

NEGATIVES = [
    # told as over or long past: the learned detector decides alone
    "hace dos anos mi ex me pegaba, ya me separe y quiero un psicologo",
    "el mes pasado mi hijo convulsiono por la fiebre, ya le dieron de alta",
    "me van a matar mis hijos si no les compro el uniforme jaja",
    "antes pense en quitarme la vida, ahora estoy mejor",
    "mi empleador me retiene el pasaporte, eso es legal?",
    "el dueño del restaurante me quito mi pasaporte",
    "a mi bebe le toca la vacuna de los 4 meses pero no tenemos ptp",
    "a mi hijo le toca su control de niño sano, es gratis?",
    "que es la extorsion y donde se denuncia",
    "que es la linea 100",
    "la linea 100 es gratis?",
    "como denuncio violencia familiar",
    "donde hay un centro emergencia mujer",
    "como manejo la ansiedad",
    "tengo depresion hay apoyo psicologico?",
    "que sintomas tiene el covid",
    "si tengo dificultad para respirar por covid que hago?",
    "me quiero morir de la risa",
    "me mata el calor",
    "me muero de hambre",
    "mi casero me amenaza con botarme",
    "el dueño me amenaza con desalojarme si no pago",
    "no me dejan salir por la cuarentena",
    "me pego el covid",
    "me voy a cortar el pelo",
    "se me esta quemando la comida jaja",
    "estoy ahogado en deudas",
    "me tome unas pastillas para el dolor de cabeza",
    "que es la trata de personas",
    "hay linea de prevencion del suicidio?",
    "que hago si tengo fiebre",
    "donde me vacuno contra el covid",
    "cual es el numero de los bomberos",
    "necesito un psicologo en lima",
    "mis hijos no tienen colegio",
    "me quitaron el trabajo por la pandemia",
    "hola buenos dias",
    "gracias por la informacion",
    "el tramite no avanza",
    "como saco el cpp",
    "quiero trabajar",
    "la policia atiende a migrantes?",
    "donde hay un albergue en tumbes",
    "le toco a mi hijo la vacuna hoy",
    "que es el maltrato infantil",
    "mi jefe me tiene trabajando 12 horas",
    "quiero desaparecer de este pais",
    "no puedo respirar bien por la mascarilla",
    "mi abuelo tuvo un infarto el año pasado, tiene sis?",
    "el tramite no se mueve",
]


@pytest.mark.parametrize("text,kind", POSITIVES)
def test_detects_present_danger(text, kind):
    assert detect(text) == Danger(kind, NUMBERS[kind])


def test_every_kind_has_positives():
    assert {kind for _, kind in POSITIVES} == set(NUMBERS)


@pytest.mark.parametrize("text", NEGATIVES)
def test_ignores_general_questions(text):
    assert detect(text) is None


def test_danger_is_immutable():
    danger = detect("me quiero matar")
    with pytest.raises(AttributeError):
        danger.kind = "fire"


@pytest.mark.parametrize(
    "raw,folded",
    [
        ("¡¡AYUDAAAA!!", "ayuda"),
        ("Mi bebé  NO respira...", "mi bebe no respira"),
        ("niño", "nino"),
        ("llamen, carro, cooperar", "llamen carro cooperar"),
        ("  ", ""),
    ],
)
def test_fold(raw, folded):
    assert fold(raw) == folded


def test_expand_abbreviations():
    assert expand_abbreviations("xq q hago pa ir x ahi") == "porque que hago para ir por ahi"
    assert expand_abbreviations("k tal") == "que tal"
