// Indgang inbox: a draft's length as its channel counts it (SMS segments), measured by the
// server's own rules (POST /inbox/measure): no copy of the SMS encoder here.
(function () {
  "use strict";

  function counter(area) {
    var out = document.querySelector(area.dataset.counter);
    var form = area.form;
    var token = form && form.querySelector("[name=csrf_token]");
    if (!out || !token) { return; }
    var timer = null;
    var asked = 0;

    function measure() {
      var body = new FormData();
      body.append("csrf_token", token.value);
      body.append("text", area.value);
      if (area.dataset.measurePerson) { body.append("person", area.dataset.measurePerson); }
      else { body.append("channel", area.dataset.measureChannel || "sms"); }
      var mine = ++asked;
      fetch("/inbox/measure", { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data || mine !== asked) { return; }  // a newer draft is being measured
          out.textContent = data.summary;
          out.dataset.segments = data.segments === null ? "" : String(data.segments);
          out.dataset.encoding = data.encoding || "";
          out.dataset.parts = String(data.parts);
          out.classList.toggle("error", data.parts === 0);
          // Too long even in numbered parts: the browser refuses to send, with this message.
          area.setCustomValidity(data.parts === 0 ? data.summary : "");
        })
        .catch(function () { /* offline: the server still refuses what is too long */ });
    }

    area.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(measure, 250);
    });
    measure();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-counter]").forEach(counter);
  });
})();
