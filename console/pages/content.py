"""The content team's pages, for the roles of area `content` (editor, coordinator):

- /contenido: every topic by title, with its examples and review day; new topics; drafts;
  the latest edits; the latest decisions about the review inbox's items.
- /contenido/temas/<topic>: the topic editor (answer with a WhatsApp preview, title,
  examples, provenance) and the topic's edits. A save goes through the one save path,
  line/content/workbench.py: checked like `make validate`, refused on a conflict with the
  form kept, committed with the editor as author, logged.
- /contenido/bandeja: the review inbox (line/content/inbox.py).

The files stay the truth; these pages are their twin of `make new-topic`, `make validate`
and `make suggest` (docs/content.md, "The console and the files"). Wording lives in the
templates (content*.html, _content.html).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Optional

from sanic.request import Request

from line.content import drafts, history, inbox, topic_file, workbench
from line.content.check import MAX_ANSWER_CHARS, MAX_TITLE_CHARS, MIN_EXAMPLES
from line.content.topic_file import Topic
from line.handoff import accounts, hours

EDITS_SHOWN = 30
DECISIONS_SHOWN = 30


def register(app, kit) -> None:
    guard = kit.protected(accounts.CONTENT)

    def today():
        return hours.local_now(kit.cfg, kit.clock()).date()

    def who(request: Request) -> str:
        return request.ctx.user["username"]

    async def index_page(request: Request, status: int = 200, error=None, form=None):
        rows = await asyncio.to_thread(workbench.catalogue, today())
        return await kit.render(
            request,
            "content.html",
            status,
            topics=rows,
            titles={row["id"]: row["title"] for row in rows},
            drafts=await asyncio.to_thread(drafts.drafts),
            edits=await asyncio.to_thread(history.edits, None, EDITS_SHOWN),
            decided=await asyncio.to_thread(inbox.decided, DECISIONS_SHOWN),
            draft_names={d["id"]: d["name"] for d in await asyncio.to_thread(drafts.drafts, False)},
            error=error,
            form=form or {},
            max_title=MAX_TITLE_CHARS,
        )

    async def editor_page(
        request: Request,
        topic: Topic,
        version: str,
        status: int = 200,
        *,
        new: bool = False,
        covers: str = "",
        draft_id: Optional[int] = None,
        refused: Optional[workbench.Refused] = None,
    ):
        co = workbench.checkout()
        rules = await asyncio.to_thread(co.rules)
        return await kit.render(
            request,
            "content_topic.html",
            status,
            topic=topic,
            version=version,
            new=new,
            covers=covers,
            draft_id=draft_id,
            refused=refused,
            roles=rules.roles,
            status_sensitive=topic.id in rules.status_sensitive,
            after=await asyncio.to_thread(workbench.after_answer, co),
            edits=[] if new else await asyncio.to_thread(history.edits, topic.id),
            max_answer=MAX_ANSWER_CHARS,
            max_title=MAX_TITLE_CHARS,
            min_examples=MIN_EXAMPLES,
        )

    @app.get("/contenido")
    @guard
    async def content_index(request: Request):
        return await index_page(request)

    @app.get("/contenido/temas/<topic_id>")
    @guard
    async def show_topic(request: Request, topic_id: str):
        try:
            topic, version = await asyncio.to_thread(workbench.load, topic_id)
        except workbench.Refused:
            return await kit.render(request, "error.html", 404, code="missing_topic")
        return await editor_page(request, topic, version)

    @app.get("/contenido/nuevo")
    @guard
    async def new_topic(request: Request):
        """A new topic from the scaffold, with a draft's questions as its first examples."""
        form = {
            "tema": request.args.get("tema", "").strip(),
            "titulo": request.args.get("titulo", ""),
            "borrador": request.args.get("borrador", ""),
        }
        try:
            topic = await asyncio.to_thread(workbench.scaffolded, form["tema"], form["titulo"])
        except workbench.Refused as refused:
            return await index_page(request, 422, refused, form)
        draft = (
            await asyncio.to_thread(drafts.draft, int(form["borrador"]))
            if form["borrador"].isdigit()
            else None
        )
        if draft:
            topic = replace(topic, examples=tuple(draft["examples"]))
        return await editor_page(
            request, topic, "", new=True, draft_id=draft["id"] if draft else None
        )

    @app.post("/contenido/temas/<topic_id>")
    @guard
    async def save_topic(request: Request, topic_id: str):
        form = request.form
        topic = Topic(
            id=topic_id,
            title=form.get("titulo", ""),
            examples=topic_file.examples_of(form.get("ejemplos", "")),
            answer=form.get("respuesta", ""),
            sources=tuple(line for line in form.get("fuentes", "").splitlines() if line.strip()),
            verified_on=form.get("verificado_el", ""),
            verified_by=form.get("verificado_por", ""),
            review_by=form.get("revisar_antes", ""),
        )
        new = form.get("nuevo") == "1"
        covers = form.get("cobertura", "")
        draft = form.get("borrador", "")
        draft_id = int(draft) if draft.isdigit() else None
        try:
            saved = await asyncio.to_thread(
                workbench.save,
                topic,
                form.get("version", ""),
                who(request),
                covers=covers if new else None,
            )
        except workbench.Refused as refused:
            if refused.code == "unchanged":
                await kit.flash(request, "ok", "topic_unchanged", topic=topic_id)
                return kit.see_other(f"/contenido/temas/{topic_id}")
            status = {"conflict": 409, "missing": 404}.get(refused.code, 422)
            # After a conflict the form saves over what is there now: the page shows it.
            version = form.get("version", "")
            if refused.code == "conflict":
                version = await asyncio.to_thread(workbench.current_version, topic_id)
            return await editor_page(
                request,
                topic,
                version,
                status,
                new=new and refused.code != "conflict",
                covers=covers,
                draft_id=draft_id,
                refused=refused,
            )
        if draft_id and new:
            await asyncio.to_thread(drafts.became, draft_id, topic_id)
        await kit.flash(
            request,
            "ok",
            "topic_created" if new else "topic_saved",
            topic=topic_id,
            commit=(saved.commit or "")[:10],
        )
        return kit.see_other(f"/contenido/temas/{topic_id}")

    # --- The review inbox -------------------------------------------------------------

    async def inbox_page(
        request: Request,
        status: int = 200,
        error_key: str = "",
        refused: Optional[workbench.Refused] = None,
        text: str = "",
        error: str = "",
    ):
        """The inbox; after a refused action, its reason beside the item `error_key`."""
        refreshed = await asyncio.to_thread(inbox.refresh)
        rows = await asyncio.to_thread(workbench.catalogue, today())
        groups = await asyncio.to_thread(inbox.groups, today())
        return await kit.render(
            request,
            "content_inbox.html",
            status,
            groups=groups,
            waiting=sum(g.asked for g in groups),
            refreshed=refreshed,
            topics=rows,
            titles={row["id"]: row["title"] for row in rows},
            drafts=await asyncio.to_thread(drafts.drafts),
            weeks=inbox.WEEKS,
            error_key=error_key,
            refused=refused,
            error=error,
            text=text,
        )

    @app.get("/contenido/bandeja")
    @guard
    async def inbox_index(request: Request):
        return await inbox_page(request)

    async def gone(request: Request):
        await kit.flash(request, "warning", "inbox_gone")
        return kit.see_other("/contenido/bandeja")

    @app.post("/contenido/bandeja/ejemplo")
    @guard
    async def inbox_example(request: Request):
        key = request.form.get("clave", "")
        topic = request.form.get("tema") or request.form.get("tema_lista", "")
        text = request.form.get("texto", "")
        try:
            saved = await asyncio.to_thread(inbox.add_example, key, topic, who(request), text)
        except inbox.Gone:
            return await gone(request)
        except workbench.Refused as refused:
            return await inbox_page(request, 422, key, refused, text)
        await kit.flash(
            request, "ok", "example_added", topic=topic, commit=(saved.commit or "")[:10]
        )
        return kit.see_other("/contenido/bandeja")

    @app.post("/contenido/bandeja/borrador")
    @guard
    async def inbox_draft(request: Request):
        key = request.form.get("clave", "")
        chosen = request.form.get("borrador", "")
        name = " ".join(request.form.get("nuevo_borrador", "").split())
        if not (chosen.isdigit() or name):
            return await inbox_page(request, 422, key, error="no_draft")
        try:
            draft_id = await asyncio.to_thread(
                inbox.gather, key, who(request), int(chosen) if chosen.isdigit() else None, name
            )
        except inbox.Gone:
            return await gone(request)
        except LookupError:
            return await inbox_page(request, 422, key, error="no_draft")
        await kit.flash(request, "ok", "item_gathered", draft=draft_id)
        return kit.see_other("/contenido/bandeja")

    @app.post("/contenido/bandeja/descartar")
    @guard
    async def inbox_dismiss(request: Request):
        try:
            await asyncio.to_thread(inbox.dismiss, request.form.get("clave", ""), who(request))
        except inbox.Gone:
            return await gone(request)
        await kit.flash(request, "ok", "item_dismissed")
        return kit.see_other("/contenido/bandeja")
