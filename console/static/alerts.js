// The alerts page: while a broadcast is approved, sending or paused, follow its progress
// without reloading; a change of state reloads the page (its buttons change too).
// Without this script the page shows the same on each reload.
(function () {
  "use strict";
  var list = document.getElementById("avisos");
  if (!list || list.getAttribute("data-live") !== "si") return;
  function set(box, name, value) {
    var el = box.querySelector("." + name);
    if (el) el.textContent = value;
  }
  function poll() {
    fetch(list.getAttribute("data-state"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (state) {
        var changed = !state.live;
        state.broadcasts.forEach(function (b) {
          var box = document.getElementById("aviso-" + b.id);
          if (!box || box.getAttribute("data-status") !== b.status) { changed = true; return; }
          var bar = box.querySelector("progress.barra");
          if (!bar) { changed = changed || b.audience > 0; return; }
          bar.value = b.percent;
          set(box, "hechos", b.done);
          set(box, "audiencia", b.audience);
          set(box, "porcentaje", b.percent);
          set(box, "enviados", b.sent);
          set(box, "entregados", b.delivered);
          set(box, "leidos", b.read);
          set(box, "fallidos", b.failed);
          set(box, "respuestas", b.replies_24h);
          set(box, "bajas", b.opt_outs_24h);
        });
        if (changed) { window.location.reload(); return; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 2000);
})();
