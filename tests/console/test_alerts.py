"""/avisos: coordinators only; the count and the preview before anything is stored; quiet
hours and bad values refused in plain words with the form kept; a second coordinator
approves (never the author); cancel before the start, pause and resume while it runs; the
halted flagged first; the progress as JSON."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from line.alerts import broadcasts, subscriptions
from line.alerts.broadcasts import Draft
from line.handoff import accounts
from tests.console.conftest import PASSWORD, ConsoleServer

# Monday 7 December 2026, 10:00 in Lima (UTC-5): outside the quiet hours.
START = datetime(2026, 12, 7, 15, 0)
CONSENT = "¿Quieres que te avisemos si hay novedades? Responde SÍ para aceptar."
VALUES = {"tema": "Vacunas", "novedad": "Hay campaña de vacunación esta semana."}


@pytest.fixture
def console(rasa):
    """The console on a fixed clock, so the quiet hours do not depend on when tests run."""
    with ConsoleServer(clock=lambda: START.replace(tzinfo=timezone.utc)) as server:
        yield server


@pytest.fixture
def lola(accounts_made):
    """A second coordinator, beside coco."""
    accounts.create("lola", PASSWORD, "coordinator")


def subscribed(*people):
    for name, region, topics in people:
        subscriptions.subscribe(name, "whatsapp", CONSENT, topics, region, now=START)


def compose(browser, store=False, hora="2026-12-07T11:00", **changes):
    data = {
        "plantilla": "aviso_novedad",
        "valor_aviso_novedad_tema": VALUES["tema"],
        "valor_aviso_novedad_novedad": VALUES["novedad"],
        "region": ["Lima"],
        "hora": hora,
        **changes,
    }
    return browser.submit("/avisos", "/avisos" if store else "/avisos/contar", **data)


def draft(author="coco", at=START) -> int:
    return broadcasts.create(Draft(author, "aviso_novedad", VALUES, at, ("Lima",)), now=START)


def test_only_coordinators_open_the_page(login):
    for name in ("ana", "eva", "tito"):
        browser = login(name)
        assert browser.get("/avisos").status_code == 403
        assert browser.get("/avisos/estado").status_code == 403
        for path in ("/avisos", "/avisos/contar", "/avisos/1/aprobar"):
            refused = browser.post(path, data={"csrf": browser.csrf("/")})
            assert refused.status_code == 403
    coco = login("coco")
    page = coco.get("/avisos")
    assert page.status_code == 200 and "Nuevo aviso" in page.text
    assert 'href="/avisos"' in page.text  # in the menu
    assert 'href="/avisos"' not in login("ana").get("/").text


def test_counting_shows_the_audience_and_the_preview_and_stores_nothing(login):
    subscribed(
        ("p1", "Lima", ["covid_vaccine"]),
        ("p2", "Lima", []),
        ("p3", "Tacna", ["covid_vaccine"]),
        ("p4", None, ["shelter"]),  # every region
    )
    subscriptions.opt_out("p2", now=START)
    coco = login("coco")
    page = compose(coco)
    assert page.status_code == 200
    assert 'id="cuantos">2<' in page.text  # p1 and p4: p2 opted out, p3 is elsewhere
    assert "🔔 *Aviso de la línea de información: Vacunas*" in page.text
    assert "Hay campaña de vacunación esta semana." in page.text
    assert broadcasts.recent() == []
    everyone = compose(coco, region=[])
    assert 'id="cuantos">3<' in everyone.text


def test_bad_input_is_refused_in_plain_words_and_the_form_kept(login):
    coco = login("coco")
    quiet = compose(coco, store=True, hora="2026-12-07T22:30")
    assert quiet.status_code == 422
    assert "no se envían avisos entre las 21:00 y las 8:00" in quiet.text
    assert 'value="2026-12-07T22:30"' in quiet.text and VALUES["novedad"] in quiet.text
    early = compose(coco, hora="2026-12-08T07:45")
    assert early.status_code == 422 and "horas de descanso" in early.text
    missing = compose(coco, valor_aviso_novedad_novedad="  ")
    assert missing.status_code == 422 and "Falta el texto de «novedad»" in missing.text
    two_lines = compose(coco, valor_aviso_novedad_novedad="una\notra")
    assert two_lines.status_code == 422 and "en una sola línea" in two_lines.text
    past = compose(coco, store=True, hora="2026-12-07T09:00")
    assert past.status_code == 422 and "Esa hora ya pasó" in past.text
    no_time = compose(coco, hora="mañana")
    assert no_time.status_code == 422 and "Escribe la fecha y la hora" in no_time.text
    region = compose(coco, region=["Atlántida"])
    assert region.status_code == 422 and "«Atlántida» no es una región de Perú" in region.text
    template = compose(coco, plantilla="otra")
    assert template.status_code == 422 and "Elige una plantilla" in template.text
    assert broadcasts.recent() == []


def test_a_second_coordinator_approves_never_the_author(login, lola):
    coco = login("coco")
    created = compose(coco, store=True)
    assert (
        created.status_code == 200 and "otra persona de coordinación debe aprobarlo" in created.text
    )
    (row,) = broadcasts.recent()
    assert (row.author, row.status, row.template) == (
        "coco",
        broadcasts.AWAITING_APPROVAL,
        "aviso_novedad",
    )
    assert row.send_at == datetime(2026, 12, 7, 16, 0)  # 11:00 in Lima
    assert broadcasts.audience_of(row).regions == ("Lima",)
    assert f'id="aprobar-{row.id}"' not in created.text
    own = coco.submit("/avisos", f"/avisos/{row.id}/aprobar")
    assert own.status_code == 409 and "No puedes aprobar tu propio aviso" in own.text
    assert broadcasts.get(row.id).status == broadcasts.AWAITING_APPROVAL

    other = login("lola")
    assert f'id="aprobar-{row.id}"' in other.get("/avisos").text
    approved = other.submit("/avisos", f"/avisos/{row.id}/aprobar")
    assert approved.status_code == 200 and f"Aviso {row.id} aprobado" in approved.text
    done = broadcasts.get(row.id)
    assert (done.status, done.approver) == (broadcasts.APPROVED, "lola")
    again = other.submit("/avisos", f"/avisos/{row.id}/aprobar")
    assert again.status_code == 409 and "ya no espera aprobación" in again.text
    assert other.submit("/avisos", "/avisos/999/aprobar").status_code == 404


def test_cancel_until_it_starts_then_pause_and_resume(login, lola):
    subscribed(("p1", "Lima", []), ("p2", "Lima", []))
    coco = login("coco")
    first = draft()
    cancelled = coco.submit("/avisos", f"/avisos/{first}/cancelar")
    assert cancelled.status_code == 200 and "cancelado. No se envió a nadie" in cancelled.text
    assert broadcasts.get(first).status == broadcasts.CANCELLED

    second = draft()
    broadcasts.approve(second, "lola", now=START)
    assert broadcasts.start_due(START) == [second]
    late = coco.submit("/avisos", f"/avisos/{second}/cancelar")
    assert late.status_code == 409 and "ya empezó a enviarse" in late.text
    page = coco.get("/avisos").text
    assert f'id="pausar-{second}"' in page and 'value="0"' in page  # the bar, at 0 %
    assert coco.get("/avisos/estado").json()["broadcasts"][0] == {
        "id": second,
        "status": "sending",
        "audience": 2,
        "waiting": 2,
        "done": 0,
        "percent": 0,
        "sent": 0,
        "delivered": 0,
        "read": 0,
        "failed": 0,
        "replies_24h": 0,
        "opt_outs_24h": 0,
    }
    paused = coco.submit("/avisos", f"/avisos/{second}/pausar")
    assert paused.status_code == 200 and f'id="reanudar-{second}"' in paused.text
    assert broadcasts.get(second).status == broadcasts.PAUSED
    twice = coco.submit("/avisos", f"/avisos/{second}/pausar")
    assert twice.status_code == 409 and "no hay nada que pausar" in twice.text
    resumed = coco.submit("/avisos", f"/avisos/{second}/reanudar")
    assert resumed.status_code == 200 and "Sigue con quienes faltan" in resumed.text
    assert broadcasts.get(second).status == broadcasts.SENDING
    assert coco.submit("/avisos", f"/avisos/{second}/otra").status_code == 404


def test_a_halted_broadcast_is_flagged_first(login, lola):
    subscribed(("p1", "Lima", []))
    halted = draft()
    broadcasts.approve(halted, "lola", now=START)
    broadcasts.start_due(START)
    broadcasts.halt(halted, broadcasts.TOO_MANY_FAILURES)
    newer = draft()
    page = login("coco").get("/avisos").text
    assert "Necesitan atención" in page and "fallaron demasiados mensajes" in page
    assert page.index(f'id="aviso-{halted}"') < page.index(f'id="aviso-{newer}"')
    assert f'id="reanudar-{halted}"' in page
