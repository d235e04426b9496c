// The script of every page: small conveniences; every page works without it.
(function () {
  "use strict";

  // One submission per form: a double click must not post twice (the server
  // also refuses a repeated form key, this just spares the round trip).
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var question = form.getAttribute("data-confirm");
      if (form.dataset.sent || (question && !window.confirm(question))) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      // Disabled only after the browser has read the form: a disabled button's name and
      // value are left out, and some forms (mode, approve) need the one clicked.
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
  // Coming back with the browser's back button shows a page from its cache: let it submit again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    });
  });

  // Quick replies: the chosen FAQ answer goes into the reply box, to edit before sending.
  var quick = document.getElementById("respuestas-rapidas");
  if (quick) {
    quick.addEventListener("change", function () {
      var option = quick.options[quick.selectedIndex];
      var box = document.getElementById(quick.getAttribute("data-target"));
      var text = option.getAttribute("data-text");
      if (!text || !box) return;
      box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + text : text;
      box.dispatchEvent(new Event("input"));
      box.focus();
      quick.selectedIndex = 0;
    });
  }

  // Drafts survive an expired session or a closed tab: kept in this browser until sent.
  document.querySelectorAll("textarea[data-draft]").forEach(function (box) {
    var key = box.getAttribute("data-draft");
    try {
      if (box.hasAttribute("data-clear-draft")) {
        window.localStorage.removeItem(key);
      } else if (!box.value && window.localStorage.getItem(key)) {
        box.value = window.localStorage.getItem(key);
      }
      box.addEventListener("input", function () {
        if (box.value) window.localStorage.setItem(key, box.value);
        else window.localStorage.removeItem(key);
      });
    } catch (e) { /* storage disabled: drafts are only a convenience */ }
  });
})();
