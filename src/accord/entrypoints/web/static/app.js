/* Accord's web page: local times, live updates over server-sent events, drag-or-button ranking.
   Everything here is an enhancement: every form works without it. */
(function () {
  "use strict";

  var body = document.body;
  var serverNow = Date.parse(body.getAttribute("data-server-now") || "");
  // Time left is counted on the server's clock, so a wrong browser clock does not move a deadline.
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();
  var dateFormat = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";

  function span(seconds) {
    seconds = Math.floor(Math.abs(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60);
    if (d) return h ? d + " d " + h + " h" : d + " d";
    if (h) return m ? h + " h " + m + " min" : h + " h";
    if (m) return m + " min";
    return "less than a minute";
  }

  function each(root, selector, fn) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
  }

  function updateLeft(root) {
    each(root, "[data-left]", function (el) {
      var at = Date.parse(el.getAttribute("data-left"));
      if (isNaN(at)) return;
      var seconds = (at - (Date.now() + skew)) / 1000;
      el.textContent = "(" + (seconds > 0 ? span(seconds) + " left" : "closed " + span(seconds) + " ago") + ")";
    });
  }

  function localize(root) {
    each(root, "time[data-local]", function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      el.textContent = dateFormat.format(new Date(at));
      el.title = el.getAttribute("datetime") + " (shown in " + zone + ")";
    });
    updateLeft(root);
  }

  // Each live region as the server rendered it, before local times are filled in: the stream's first fragment
  // is usually the same, and replacing it would only detach what the reader is looking at (a 1,200-node graph).
  var rendered = [];
  each(document, "[data-live]", function (box) { rendered.push([box, box.innerHTML.trim()]); });
  localize(document);
  window.setInterval(function () { updateLeft(document); }, 15000);

  /* Live regions: the server sends the region's new HTML whenever an event about it commits. */
  var sources = [];
  var leaving = false;
  // A form on its way out must not be cut short by a reload that its own change would trigger.
  document.addEventListener("submit", function () {
    leaving = true;
    sources.forEach(function (source) { source.close(); });
  });
  function showAgain() {
    if (!leaving) window.location.assign(window.location.pathname);  // drop ?done=… of an earlier action
  }
  each(document, "[data-live]", function (box) {
    if (!window.EventSource) return;
    var source = new EventSource(box.getAttribute("data-live"));
    var last = null;
    rendered.forEach(function (pair) { if (pair[0] === box) last = pair[1]; });
    sources.push(source);
    source.addEventListener("fragment", function (event) {
      var holder = document.createElement("div");
      holder.innerHTML = event.data;
      var parsed = holder.innerHTML.trim();
      if (parsed === last) return;  // nothing changed since the page (or the last fragment) was shown
      last = parsed;
      var fresh = holder.querySelector(".live");
      var status = box.getAttribute("data-status");
      if (status && fresh && (fresh.getAttribute("data-status") !== status ||
                              fresh.getAttribute("data-round") !== box.getAttribute("data-round") ||
                              fresh.getAttribute("data-closable") !== box.getAttribute("data-closable"))) {
        // Finalized, escalated, a new round, or now closable: the forms change too, so show the whole page again.
        source.close();
        showAgain();
        return;
      }
      box.innerHTML = event.data;
      localize(box);
      box.setAttribute("data-updated", String(Date.now()));
    });
    source.addEventListener("gone", function () {
      source.close();
      showAgain();
    });
    window.addEventListener("pagehide", function () { source.close(); });
  });

  /* Ranking: number inputs work alone; here the list also reorders by drag, or by Up/Down buttons. */
  each(document, "[data-ranking]", function (list) {
    var dragged = null;

    function items() { return Array.prototype.slice.call(list.children); }
    function input(li) { return li.querySelector("input"); }

    function renumber(moved) {
      var rank = 0;
      items().forEach(function (li) {
        var box = input(li);
        if (box.value !== "" || li === moved) { rank += 1; box.value = String(rank); }
      });
    }

    function sortByNumbers() {
      var sorted = items().map(function (li, i) {
        var n = parseInt(input(li).value, 10);
        return { li: li, key: isNaN(n) ? Infinity : n, i: i };
      }).sort(function (a, b) { return a.key - b.key || a.i - b.i; });
      sorted.forEach(function (entry) { list.appendChild(entry.li); });
    }

    function move(li, by) {
      var all = items(), at = all.indexOf(li), to = at + by;
      if (to < 0 || to >= all.length) return;
      if (by < 0) list.insertBefore(li, all[to]); else list.insertBefore(li, all[to].nextSibling);
      renumber(li);
    }

    items().forEach(function (li) {
      var name = li.querySelector("label").textContent;
      li.setAttribute("draggable", "true");
      li.classList.add("draggable");
      var controls = document.createElement("span");
      controls.className = "move";
      [["Up", -1, "↑"], ["Down", 1, "↓"]].forEach(function (spec) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "small";
        button.textContent = spec[2];
        button.setAttribute("aria-label", "Move " + name + " " + spec[0].toLowerCase());
        button.addEventListener("click", function () { move(li, spec[1]); button.focus(); });
        controls.appendChild(button);
      });
      li.appendChild(controls);
      li.addEventListener("dragstart", function (event) {
        dragged = li;
        li.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", name);
      });
      li.addEventListener("dragend", function () { li.classList.remove("dragging"); dragged = null; });
      li.addEventListener("dragover", function (event) {
        if (!dragged || dragged === li) return;
        event.preventDefault();
        var box = li.getBoundingClientRect();
        var after = event.clientY > box.top + box.height / 2;
        list.insertBefore(dragged, after ? li.nextSibling : li);
      });
      li.addEventListener("drop", function (event) {
        event.preventDefault();
        if (dragged) renumber(dragged);
      });
      input(li).addEventListener("change", sortByNumbers);
    });
    sortByNumbers();
  });

  // "Copy receipt": the clipboard API where the page is a secure context, else select-and-copy.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".copied");
    if (!field) return;
    function done(ok) { if (status) status.textContent = ok ? "Copied." : "Select the text and copy it."; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { done(true); }, function () { done(false); });
    } else {
      field.focus();
      field.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok);
    }
  });

  each(document, ".js-only", function (el) { el.classList.add("shown"); });
})();
