// The topic editor's conveniences: the answer as WhatsApp shows it, and counts against the
// limits `make validate` checks. The page works without it; the server checks everything.
(function () {
  "use strict";

  function escape(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  // WhatsApp's own marks: *negrita*, _cursiva_, ~tachado~ and ```monoespaciado```.
  function whatsapp(text) {
    return escape(text.trim())
      .replace(/```([\s\S]+?)```/g, "<code>$1</code>")
      .replace(/(^|[\s(¡¿])\*([^*\n]+)\*(?=$|[\s).,;:!?])/gm, "$1<strong>$2</strong>")
      .replace(/(^|[\s(¡¿])_([^_\n]+)_(?=$|[\s).,;:!?])/gm, "$1<em>$2</em>")
      .replace(/(^|[\s(¡¿])~([^~\n]+)~(?=$|[\s).,;:!?])/gm, "$1<s>$2</s>")
      .replace(/\n/g, "<br>");
  }

  // Characters as the check counts them (code points: an emoji is one).
  function length(text) {
    return Array.from(text).length;
  }

  function counter(input, output, render) {
    if (!input || !output) return;
    var update = function () { render(input, output); };
    input.addEventListener("input", update);
    update();
  }

  function against(limit) {
    return function (input, output) {
      var n = length(input.value.trim());
      output.textContent = n + " / " + limit + " caracteres";
      output.classList.toggle("over", n > limit);
    };
  }

  var answer = document.getElementById("respuesta");
  var preview = document.getElementById("vista-previa");
  if (answer) {
    counter(answer, document.getElementById("respuesta-cuenta"), function (input, output) {
      against(Number(input.getAttribute("data-max")))(input, output);
      if (preview) preview.innerHTML = whatsapp(input.value);
    });
  }
  var title = document.getElementById("titulo");
  if (title) {
    counter(title, document.getElementById("titulo-cuenta"), function (input, output) {
      against(Number(input.getAttribute("data-max")))(input, output);
      var button = document.getElementById("vista-titulo");
      if (button) button.textContent = input.value.trim();
    });
  }
  var examples = document.getElementById("ejemplos");
  counter(examples, document.getElementById("ejemplos-cuenta"), function (input, output) {
    var n = input.value.split("\n").filter(function (line) { return line.trim(); }).length;
    output.textContent = n + " ejemplo(s)";
    output.classList.toggle("over", n < Number(input.getAttribute("data-min")));
  });
})();
