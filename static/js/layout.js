/* Phone layout helpers (no build step, no inline script: CSP allows 'self').
 *
 * Tables: every body cell gets data-label, its column's heading, unless the template set
 * one. A table wider than its box (on a phone) gets .is-stacked, and static/css/app.css lays
 * each row out as a card with each cell under its label, so no key column hides off-screen;
 * a table that fits stays a table. Without JavaScript a wide table scrolls inside its card.
 *
 * Filters: a <details class="filters-fold"> starts folded on a narrow screen, so the list
 * is the first thing a phone shows; it stays open on a wide one.
 */
(function () {
  "use strict";
  var NARROW = "(max-width: 899px)";

  function headings(table) {
    var rows = table.tHead ? table.tHead.rows : [];
    if (!rows.length) return null;
    var labels = [];
    var cells = rows[rows.length - 1].cells;
    for (var i = 0; i < cells.length; i++) {
      var text = (cells[i].getAttribute("aria-label") || cells[i].textContent).replace(/\s+/g, " ").trim();
      for (var span = cells[i].colSpan || 1; span > 0; span--) labels.push(text);
    }
    return labels;
  }

  function label(table) {
    var labels = headings(table);
    if (!labels) return false;
    var bodies = table.querySelectorAll(":scope > tbody, :scope > tfoot");
    for (var b = 0; b < bodies.length; b++) {
      var rows = bodies[b].rows;
      for (var r = 0; r < rows.length; r++) {
        var column = 0;
        for (var c = 0; c < rows[r].cells.length; c++) {
          var cell = rows[r].cells[c];
          if (!cell.hasAttribute("data-label") && labels[column] !== undefined) {
            cell.setAttribute("data-label", labels[column]);
          }
          column += cell.colSpan || 1;
        }
      }
    }
    return true;
  }

  function fit(table) {
    table.classList.remove("is-stacked");
    var box = table.parentElement;
    var tooWide = table.offsetWidth > box.clientWidth + 1 ||
      table.getBoundingClientRect().right > document.documentElement.clientWidth + 1;
    if (tooWide) table.classList.add("is-stacked");
  }

  function layoutTables(root) {
    var tables = (root || document).querySelectorAll("main table");
    for (var i = 0; i < tables.length; i++) {
      if (tables[i].hasAttribute("data-no-stack")) continue;
      if (label(tables[i])) fit(tables[i]);
    }
  }

  function foldFilters(root) {
    var narrow = window.matchMedia(NARROW).matches;
    var folds = (root || document).querySelectorAll("details.filters-fold");
    for (var i = 0; i < folds.length; i++) folds[i].open = !narrow;
  }

  var pending = null;
  function onResize() {
    if (pending) window.cancelAnimationFrame(pending);
    pending = window.requestAnimationFrame(function () { layoutTables(document); });
  }

  function start() {
    foldFilters(document);
    layoutTables(document);
    window.addEventListener("resize", onResize);
    window.matchMedia(NARROW).addEventListener("change", function () { foldFilters(document); });
    // htmx swaps in new rows (the marketplace's filters, the apply page's preview).
    document.body.addEventListener("htmx:afterSettle", function () { layoutTables(document); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
