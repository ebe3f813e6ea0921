// Indgang inbox: live updates (server-sent events), canned replies. The length counter is
// counter.js (measured on the server).
(function () {
  "use strict";

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
          area.dispatchEvent(new Event("input"));  // the counter measures it again
          area.focus();
        }
      });
    });
    var summary = document.querySelector("[data-waiting]");
    if (summary) { setTitle(parseInt(summary.dataset.waiting, 10) || 0); }
    live();
  });
})();
