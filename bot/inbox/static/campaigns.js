// Indgang inbox, campaign pages: the audience count while the filter is built, the schedule
// fields for the chosen kind, and live progress (a JSON poll every two seconds).
(function () {
  "use strict";

  function countAudience(form, out) {
    var timer = null, asked = 0;
    var mirrors = document.querySelectorAll("[data-mirror='#" + out.id + "']");
    function show(text, bad) {
      out.textContent = text;
      out.classList.toggle("bad", !!bad);
      mirrors.forEach(function (m) { m.textContent = text; m.classList.toggle("bad", !!bad); });
    }
    function ask() {
      var mine = ++asked;
      out.setAttribute("aria-busy", "true");
      fetch(form.dataset.countUrl, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (answer) { return answer.json(); })
        .then(function (data) {
          if (mine !== asked) { return; }
          out.removeAttribute("aria-busy");
          if (data.count === null || data.count === undefined) {
            show(out.dataset.labelBad, true);
          } else {
            out.dataset.count = String(data.count);
            show(data.count + " " + out.dataset.label, false);
          }
        })
        .catch(function () { out.removeAttribute("aria-busy"); });
    }
    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 250);
    }
    var audience = document.getElementById("audience");
    audience.addEventListener("input", later);
    audience.addEventListener("change", later);
    ask();
  }

  function scheduleKinds(form) {
    var radios = form.querySelectorAll("input[name=schedule_kind]");
    function update() {
      var picked = form.querySelector("input[name=schedule_kind]:checked");
      form.querySelectorAll("[data-kind]").forEach(function (part) {
        part.hidden = !picked || part.dataset.kind !== picked.value;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }

  // A field marked wrong by the server loses the mark once it is edited.
  function clearMarks(form) {
    form.addEventListener("input", function (event) {
      var field = event.target;
      if (!field.getAttribute || field.getAttribute("aria-invalid") !== "true") { return; }
      field.removeAttribute("aria-invalid");
      var said = document.getElementById("err-" + field.name);
      if (said) { said.hidden = true; }
    });
  }

  function pollProgress(section) {
    var every = parseInt(section.dataset.poll, 10);
    if (!every) { return; }
    var bar = document.getElementById("progress-bar");
    function tick() {
      fetch(section.dataset.progressUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (answer) {
          if (answer.status === 401) { window.location.href = "/inbox/login"; }
          return answer.ok ? answer.json() : null;
        })
        .then(function (data) {
          if (!data) { return; }
          var total = 0, finished = 0;
          Object.keys(data.counts).forEach(function (key) {
            var value = data.counts[key];
            var cell = section.querySelector("[data-count='" + key + "']");
            if (cell && cell.textContent !== String(value)) { cell.textContent = String(value); }
            if (key !== "replied") { total += value; }
            if (key !== "replied" && key !== "planned" && key !== "queued") { finished += value; }
          });
          if (bar) { bar.max = Math.max(total, 1); bar.value = finished; }
          if (data.status !== section.dataset.status) {
            window.location.reload();  // new status, new buttons
          }
        })
        .catch(function () { /* the next tick tries again */ });
    }
    window.setInterval(tick, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("campaign-form");
    var out = document.getElementById("audience-count");
    if (form && out) { countAudience(form, out); }
    if (form) { scheduleKinds(form); clearMarks(form); }
    var problems = document.getElementById("problems");
    if (problems) { problems.focus(); }
    var section = document.getElementById("progress");
    if (section) { pollProgress(section); }
  });
})();
