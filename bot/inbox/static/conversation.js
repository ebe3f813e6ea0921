// Indgang inbox, the conversation page: the message list opens at the newest message (or at
// the crisis message of an urgent handoff), and live updates are merged in by message id, so
// a reader who scrolled up is not moved; a "new messages" pill takes them to the newest.
(function () {
  "use strict";

  var NEAR_BOTTOM = 48; // pixels from the end that still count as reading the newest

  var box, busy = false, again = false;

  function list() { return box && box.querySelector("ol.messages"); }
  function atBottom(ol) { return ol.scrollHeight - ol.scrollTop - ol.clientHeight <= NEAR_BOTTOM; }
  function toBottom(ol) { ol.scrollTop = ol.scrollHeight; }

  function pill(on) {
    var button = document.getElementById("new-messages");
    if (!button) { return; }
    button.hidden = !on;
    var said = document.getElementById("new-messages-said");
    if (said) { said.textContent = on ? button.textContent : ""; }
  }

  // The message the address names (#message-123, from the search page; no element has that
  // id, so the browser leaves the page where it is) or the crisis message, in the middle of
  // the list; otherwise the newest message at the bottom.
  function opening(ol) {
    var named = /^#message-(\d+)$/.exec(location.hash);
    var found = named ? ol.querySelector('li[data-id="' + named[1] + '"]') : null;
    if (found) { found.classList.add("found"); }
    var focus = found || ol.querySelector("li[data-focus]");
    if (!focus) { toBottom(ol); return; }
    var top = focus.offsetTop - Math.max(0, (ol.clientHeight - focus.offsetHeight) / 2);
    ol.scrollTop = Math.max(0, top);
  }

  // Put the fetched list's items into the page: changed ones replaced where they are, new
  // ones inserted after their predecessor; nothing is shown twice and nothing is re-rendered.
  function merge(html) {
    var ol = list();
    var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("ol.messages");
    if (!ol || !fresh) { return; }
    var follow = atBottom(ol);
    var kept = ol.scrollTop;
    var added = 0;
    var previous = null;
    Array.prototype.forEach.call(fresh.querySelectorAll(":scope > li[data-id]"), function (item) {
      var node = document.importNode(item, true);
      var old = ol.querySelector(':scope > li[data-id="' + item.dataset.id + '"]');
      if (old) {
        if (old.outerHTML !== node.outerHTML) { old.replaceWith(node); } else { node = old; }
      } else {
        if (previous && previous.nextSibling) {
          ol.insertBefore(node, previous.nextSibling);
        } else if (previous) {
          ol.appendChild(node);
        } else {
          ol.insertBefore(node, ol.firstChild);
        }
        added += 1;
      }
      previous = node;
    });
    var empty = ol.querySelector(":scope > li.empty");
    if (empty && ol.querySelector(":scope > li[data-id]")) { empty.remove(); }
    if (follow) {
      toBottom(ol);
    } else {
      ol.scrollTop = kept;
      if (added) { pill(true); }
    }
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(box.dataset.url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html) { merge(html); } })
      .catch(function () { /* the next change event tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    box = document.getElementById("messages");
    var ol = list();
    if (!box || !ol) { return; }
    opening(ol);
    ol.addEventListener("scroll", function () { if (atBottom(ol)) { pill(false); } });
    var button = document.getElementById("new-messages");
    if (button) {
      button.addEventListener("click", function () {
        var current = list();
        if (current) { toBottom(current); }
        pill(false);
      });
    }
    document.addEventListener("indgang:changed", refresh);
  });
})();
