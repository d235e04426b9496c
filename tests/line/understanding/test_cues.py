"""Requests for a person and for a place are recognised without the model."""

import pytest

from line.understanding import cues

PERSON = [
    "quiero hablar con una persona",
    "quiero q alguien de la cruz roja me llame por telefono",
    "me pasas con alguien porfa",
    "pasame con un operador",
    "necesito q me atienda un humano",
    "hay alguien real?",
    "persona",
    "Operador!!",
    "no quiero hablar con un robot",
    "pueden llamarme a este numero",
    "quisiera hablar con una asesora",
    "alguien que me responda por favor",
    "hay un operador que me pueda ayudar?",
    "el dueño no me devuelve la garantia, quiero que alguien lo llame porfa",
]
NOT_PERSON = [
    "en que horario puedo comunicarme con un asesor?",
    "esto es un bot o una persona real?",
    "mi papa se perdio en el camino y no tengo como comunicarme con el",
    "a que hora atienden los operadores?",
    "cual es el horario de atencion de los operadores?",
    "la persona que me alquila me quiere botar",
    "como me hago voluntario",
    "que es la linea 100",
    "mi hijo quiere hablar con su papa que esta en venezuela",
    "la linea 100 es gratis? se puede llamar desde cualquier celular?",
]


@pytest.mark.parametrize("text", PERSON)
def test_requests_for_a_person(text):
    assert cues.asks_for_person(text)


@pytest.mark.parametrize("text", NOT_PERSON)
def test_other_messages_are_not_requests_for_a_person(text):
    assert not cues.asks_for_person(text)


@pytest.mark.parametrize(
    "text, names_a_place",
    [
        ("migraciones piura hasta q hora atiende y donde es", True),
        ("la cruz roja tiene local en chiclayo?", True),
        ("donde queda la demuna", False),
        ("hay algun albergue cerca?", False),
        ("busco albergue en tacna", True),
        ("necesito un psicologo en arequipa", True),
        ("cual es la direccion del cem", False),
    ],
)
def test_asking_where_a_service_is(text, names_a_place):
    assert cues.asks_for_a_place(text, names_a_place)


@pytest.mark.parametrize(
    "text, names_a_place",
    [
        ("los albergues cobran?", False),
        ("necesito ayuda legal", False),
        ("que es la demuna", False),
        ("la prueba de covid es gratis en lima?", True),
    ],
)
def test_general_questions_are_not_place_requests(text, names_a_place):
    assert not cues.asks_for_a_place(text, names_a_place)


@pytest.mark.parametrize(
    "text",
    [
        "en chile piden visa a los venezolanos?",
        "requisitos para la residencia en uruguay",
        "como saco la nacionalidad española",
        "la visa de trabajo para canada cuanto demora",
    ],
)
def test_procedures_of_another_country(text):
    assert cues.asks_about_another_country(text)


@pytest.mark.parametrize(
    "text",
    [
        "vengo de colombia, puedo pedir refugio en peru?",
        "mi familia esta en ecuador, ustedes la pueden buscar?",
        "entre por tumbes desde ecuador, como saco el cpp",
        "quiero volver a venezuela, que papeles necesito",
    ],
)
def test_peru_questions_that_name_another_country(text):
    assert not cues.asks_about_another_country(text)


@pytest.mark.parametrize(
    "text",
    [
        "me negaron el cpp y no entiendo por que",
        "me rechazaron la solicitud de refugio, que hago con mi caso",
        "pueden revisar mi expediente? ya van 8 meses",
        "mi numero de tramite es 2023-45821 y no avanza",
        "a mi esposa le denegaron el carnet de extranjeria",
    ],
)
def test_personal_cases(text):
    assert cues.is_personal_case(text)


@pytest.mark.parametrize(
    "text",
    [
        "cuanto demora el tramite del cpp",
        "que pasa si me niegan el refugio?",
        "como saco el carnet de extranjeria",
    ],
)
def test_general_questions_are_not_personal_cases(text):
    assert not cues.is_personal_case(text)


@pytest.mark.parametrize(
    "text, intent",
    [
        ("👍", "rate_useful"),
        ("👍🏽", "rate_useful"),
        (" 👍👍 ", "rate_useful"),
        ("👎", "rate_not_useful"),
        ("👎🏿", "rate_not_useful"),
        ("Me sirvió!!", "rate_useful"),
        ("no me sirvio", "rate_not_useful"),
        ("NO ME AYUDÓ", "rate_not_useful"),
    ],
)
def test_a_message_that_only_rates_the_answer(text, intent):
    assert cues.rating(text) == intent


@pytest.mark.parametrize(
    "text",
    [
        "👍👎",
        "👍 y donde queda el hospital?",
        "me sirvio pero tengo otra pregunta",
        "si",
        "no",
        "gracias",
        "😀",
    ],
)
def test_anything_more_than_a_rating_is_left_to_the_model(text):
    assert cues.rating(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "dicen q la cruz roja cobra",
        "mi vecina dice que hay q pagar",
        "escuche q no vacunan a extranjeros",
        "me dijeron que sin dni no hay vacuna",
        "es verdad q cobran por la lista?",
        "vi un video en tiktok q la vacuna es solo pa peruanos",
    ],
)
def test_hearsay_frames(text):
    assert cues.is_hearsay(text)


@pytest.mark.parametrize(
    "text",
    [
        "hay que pagar para la ayuda de la cruz roja?",
        "los venezolanos pueden vacunarse?",
        "cuanto cuesta inscribirse",
        "me vacunan sin dni?",
    ],
)
def test_plain_questions_are_not_hearsay(text):
    assert not cues.is_hearsay(text)


@pytest.mark.parametrize(
    "text",
    [
        "el encargado del albergue me pide favores a cambio de comida",
        "mi empleador me quito el pasaporte",
        "el dueño del cuarto me acosa",
        "me piden fotos intimas para darme la canasta",
        "un señor me cobro 50 soles pa anotarme en la lista de la cruz roja",
        "me pidieron un yape para darme el bono",
        "vino un falso voluntario a mi casa",
    ],
)
def test_reports_of_abuse_exploitation_or_fraud(text):
    assert cues.reports_abuse(text)


@pytest.mark.parametrize(
    "text",
    [
        "me pidieron mis documentos para el bono",
        "que documentos piden para el cpp",
        "el pasaporte vencido sirve?",
        "hay que pagar para estar en la lista?",
        "cuanto cobran por la prueba",
        "dicen que la cruz roja cobra",
    ],
)
def test_ordinary_requests_are_not_abuse(text):
    assert not cues.reports_abuse(text)


IRREGULAR_STATUS = [
    "entré por trocha, puedo sacar el carné de extranjería?",
    "entramos x la trocha con mis hijos, q hacemos",
    "llegue por una trocha desde tumbes",
    "entre sin pasar por migraciones",
    "cruce ilegalmente la frontera",
    "no tengo papeles, que hago si me para la policia",
    "no tenemos ningun documento",
    "estoy irregular, me pueden multar?",
    "toy sin papeles",
    "soy indocumentado",
    "vivo aqui sin papeles hace 3 años",
    "puedo sacar el sis sin papeles?",
    "no tengo sello de entrada en el pasaporte",
    "se me venció y sigo aquí, que hago",
    "se me vencio el permiso hace 2 años",
    "mi ptp esta vencido, puedo trabajar?",
    "me quede mas tiempo del permitido",
    # An irregular entry still matters for a new procedure, even with papers now.
    "entre por trocha pero ya tengo cpp",
]
NOT_IRREGULAR_STATUS = [
    # Someone else's situation: the answer already says the risk and offers a person.
    "mi amiga entró por trocha hace años y ya se regularizó",
    "mi esposo no tiene papeles",
    # Asked in general, or denied.
    "que pasa si alguien entra por trocha?",
    "los que no tienen papeles pueden vacunarse?",
    "no entre por trocha, tengo sello",
    "el cpp vencido sirve?",
    "cuales son los documentos para el cpp",
    # Other papers, other words.
    "no tengo los papeles del colegio de mi hijo",
    "se me vencio el pasaporte",
    "tengo carne de extranjeria vigente",
    "entre semana atienden?",
    "no tengo plata para la multa",
    "me pidieron mis documentos para el bono",
]


@pytest.mark.parametrize("text", IRREGULAR_STATUS)
def test_saying_one_has_no_papers_or_entered_irregularly(text):
    assert cues.says_irregular_status(text)


@pytest.mark.parametrize("text", NOT_IRREGULAR_STATUS)
def test_others_papers_general_questions_and_other_papers_are_not_a_status(text):
    assert not cues.says_irregular_status(text)


@pytest.mark.parametrize(
    "text, intent",
    [
        ("BAJA", "unsubscribe_alerts"),
        ("Stop", "unsubscribe_alerts"),
        ("para!!", "unsubscribe_alerts"),
        ("  basta 🙏 ", "unsubscribe_alerts"),
        ("Darme de baja", "unsubscribe_alerts"),
        ("AVISOS", "subscribe_alerts"),
        ("quiero avisos", "subscribe_alerts"),
    ],
)
def test_a_whole_message_alerts_command(text, intent):
    assert cues.alerts_command(text) == intent


@pytest.mark.parametrize(
    "text",
    [
        "para que sirve el carnet",
        "me dieron de baja en el trabajo",
        "stop the messages please",
        "hay alertas de huaico?",
        "ya no quiero avisos",  # a sentence is the model's (data/nlu/alerts.yml)
    ],
)
def test_more_than_a_command_is_left_to_the_model(text):
    assert cues.alerts_command(text) is None
