// The trainers' page: while a run is under way, follow its progress without reloading.
// Without this script the page shows the same on each reload.
(function () {
  "use strict";
  var box = document.getElementById("trabajo");
  if (!box || box.getAttribute("data-running") !== "si") return;
  var names = {};
  document.querySelectorAll("#nombres-pasos [data-step]").forEach(function (li) {
    names[li.getAttribute("data-step")] = li.textContent;
  });
  function poll() {
    fetch(box.getAttribute("data-state"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (state) {
        if (!state.running) { window.location.reload(); return; }
        document.getElementById("paso").textContent = names[state.step] || state.step;
        document.getElementById("porcentaje").textContent = state.percent;
        document.getElementById("barra").value = state.percent;
        document.getElementById("registro").textContent = state.log;
        window.setTimeout(poll, 3000);
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 3000);
})();
