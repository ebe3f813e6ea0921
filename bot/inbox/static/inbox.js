// Indgang inbox: live updates (server-sent events), canned replies, SMS length counter.
(function () {
  "use strict";

  // GSM 03.38 basic alphabet and extension table, as in channels/sms/encoding.py.
  var GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXTENSION = "^{}\\[]~|€\f";

  function analyse(text) {
    var chars = Array.from(text);
    var gsm = chars.every(function (c) { return GSM_BASIC.indexOf(c) >= 0 || GSM_EXTENSION.indexOf(c) >= 0; });
    var costs = chars.map(function (c) {
      if (gsm) { return GSM_EXTENSION.indexOf(c) >= 0 ? 2 : 1; }
      return c.codePointAt(0) > 0xFFFF ? 2 : 1;
    });
    var single = gsm ? 160 : 70, part = gsm ? 153 : 67;
    var total = costs.reduce(function (a, b) { return a + b; }, 0);
    var segments = 1;
    if (total > single) {
      var used = 0;
      costs.forEach(function (cost) {
        if (used + cost > part) { segments += 1; used = 0; }
        used += cost;
      });
    }
    return { encoding: gsm ? "GSM-7" : "UCS-2", characters: total, segments: segments };
  }
  window.indgangSms = analyse;

  function updateCounter(area) {
    var out = document.querySelector(area.dataset.counter);
    if (!out) { return; }
    var shape = analyse(area.value);
    out.textContent = shape.encoding + " · " + shape.characters + " " + out.dataset.labelChars +
      " · " + shape.segments + " " + out.dataset.labelSms;
    out.dataset.segments = String(shape.segments);
    out.dataset.encoding = shape.encoding;
  }

  function setTitle(waiting) {
    var base = document.body.dataset.title;
    if (!base) { return; }
    document.title = (waiting > 0 ? "(" + waiting + ") " : "") + base;
  }

  function live() {
    var url = document.body.dataset.live;
    if (!url || !window.EventSource) { return; }
    var source = new EventSource(url);
    source.addEventListener("changed", function (event) {
      var data = JSON.parse(event.data || "{}");
      setTitle(data.waiting || 0);
      document.dispatchEvent(new CustomEvent("indgang:changed", { detail: data }));
      var target = document.body.dataset.refresh;
      var refresh = document.body.dataset.refreshUrl;
      if (target && refresh && window.htmx) {
        window.htmx.ajax("GET", refresh, { target: target, swap: "innerHTML" });
      }
    });
    source.addEventListener("signed-out", function () {
      source.close();
      window.location.href = "/inbox/login";
    });
    window.addEventListener("beforeunload", function () { source.close(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
      updateCounter(area);
      area.addEventListener("input", function () { updateCounter(area); });
      area.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && area.form) {
          area.form.requestSubmit();
        }
      });
    });
    document.querySelectorAll("select[data-target]").forEach(function (select) {
      select.addEventListener("change", function () {
        var area = document.querySelector(select.dataset.target);
        if (area && select.value) {
          area.value = select.value;
          updateCounter(area);
          area.focus();
        }
      });
    });
    var summary = document.querySelector("[data-waiting]");
    if (summary) { setTitle(parseInt(summary.dataset.waiting, 10) || 0); }
    live();
  });
})();
