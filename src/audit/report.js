// sgkeys audit report: click-to-sort columns and a filter box. The page is complete without
// this script (every row is in the HTML and nothing starts hidden); it only adds controls.
(function () {
  "use strict";
  var doc = document;
  var each = function (list, f) { Array.prototype.forEach.call(list, f); };

  function key(row, i) {
    var c = row.cells[i];
    if (!c) { return ""; }
    var v = c.getAttribute("data-sort");
    return v === null ? c.textContent.trim().toLowerCase() : v;
  }

  function compare(a, b) {
    var x = Number(a), y = Number(b);
    if (a !== "" && b !== "" && !isNaN(x) && !isNaN(y)) { return x - y; }
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function sortable(table) {
    var head = table.tHead.rows[table.tHead.rows.length - 1];
    var body = table.tBodies[0];
    each(body.rows, function (r, n) { r.setAttribute("data-order", String(n)); });
    each(head.cells, function (th, i) {
      th.tabIndex = 0;
      th.classList.add("sortable");
      th.title = (th.title ? th.title + "\n" : "") + "Click to sort";
      var go = function () {
        // numbers (levels, risk) sort highest first on the first click, text A to Z
        var numeric = th.hasAttribute("data-desc");
        var cur = th.getAttribute("aria-sort");
        var desc = cur ? cur === "ascending" : numeric;
        each(head.cells, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var c = compare(key(a, i), key(b, i));
          if (desc) { c = -c; }
          return c || Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order"));
        });
        var frag = doc.createDocumentFragment();
        rows.forEach(function (r) { frag.appendChild(r); });
        body.appendChild(frag);
      };
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); }
      });
    });
  }

  each(doc.querySelectorAll("table.sortable"), sortable);

  var tables = doc.querySelectorAll("table[data-filter]");
  var box = doc.getElementById("controls");
  if (box && tables.length) {
    var label = doc.createElement("label");
    label.textContent = "Filter ";
    var input = doc.createElement("input");
    input.type = "search";
    input.id = "filter";
    input.placeholder = "name, id, context, type, risk, finding…";
    input.setAttribute("aria-describedby", "shown");
    label.appendChild(input);
    var shown = doc.createElement("output");
    shown.id = "shown";
    box.appendChild(label);
    box.appendChild(shown);
    var apply = function () {
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var counts = [];
      each(tables, function (t) {
        var n = 0, all = 0;
        each(t.tBodies[0].rows, function (r) {
          var text = (r.textContent + " " + (r.getAttribute("data-search") || "")).toLowerCase();
          var ok = terms.every(function (w) { return text.indexOf(w) >= 0; });
          r.hidden = !ok;
          all += 1;
          if (ok) { n += 1; }
        });
        counts.push(n + " of " + all + " " + t.getAttribute("data-filter"));
      });
      shown.textContent = counts.join(", ") + " shown";
    };
    input.addEventListener("input", apply);
    apply();
  }
  doc.documentElement.setAttribute("data-ready", "true");
}());
