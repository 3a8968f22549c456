/* The budget table: totals while typing, amounts grouped as the language groups them.

   The form carries data-thousands (the separator, e.g. a no-break space in French) and
   data-euros-template (how portal.formats.format_euros writes 0 €: "0 €" or "€0"), so that
   this script shows amounts as the server does without a second copy of the rule. Every cell
   is input[data-budget-cell][data-kind][data-category][data-year]; every total is
   [data-total="<kind>-<category>" | "<kind>-year-<n>" | "<kind>"].

   The server stays the authority: what the script sums is provisional, and the answer of
   each autosave (static/js/autosave.js, event "autosave:saved") replaces the totals and the
   budget check with the server's; "autosave:refused" marks the cells the server refused. */
(function () {
  "use strict";
  var form = document.getElementById("budget-form");
  if (!form) return;
  var separator = form.dataset.thousands || ",";
  var template = form.dataset.eurosTemplate || "€0";
  var cells = Array.prototype.slice.call(form.querySelectorAll("input[data-budget-cell]"));
  var totals = Array.prototype.slice.call(form.querySelectorAll("[data-total]"));
  var ungroup = new RegExp("[\\s\\u00a0\\u202f" + separator.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "]", "g");

  // Whole euros typed in a cell; 0 when empty; null when it is not a whole number.
  function parse(value) {
    var compact = String(value).replace(ungroup, "").replace(/^€|€$/g, "");
    if (compact === "") return 0;
    return /^[0-9]{1,13}$/.test(compact) ? Number(compact) : null;
  }

  function group(amount) {
    return String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, separator);
  }

  function euros(amount) { return template.replace("0", group(amount)); }

  function mark(cell, invalid) {
    cell.classList.toggle("is-invalid", invalid);
    if (invalid) { cell.setAttribute("aria-invalid", "true"); } else { cell.removeAttribute("aria-invalid"); }
  }

  function recompute() {
    var sums = {};
    function add(key, amount) { sums[key] = (sums[key] || 0) + amount; }
    cells.forEach(function (cell) {
      var amount = parse(cell.value);
      mark(cell, amount === null);
      if (amount === null) return;
      var kind = cell.dataset.kind;
      add(kind + "-" + cell.dataset.category, amount);
      add(kind + "-year-" + cell.dataset.year, amount);
      add(kind, amount);
    });
    totals.forEach(function (total) { total.textContent = euros(sums[total.dataset.total] || 0); });
  }

  cells.forEach(function (cell) {
    cell.addEventListener("input", recompute);
    cell.addEventListener("blur", function () {
      var amount = parse(cell.value);
      if (amount !== null && cell.value.trim() !== "") cell.value = group(amount);
    });
  });

  form.addEventListener("autosave:saved", function (event) {
    var data = event.detail || {};
    if (data.totals) {
      totals.forEach(function (total) {
        var text = data.totals[total.dataset.total];
        if (typeof text === "string") total.textContent = text;
      });
    }
    var box = document.getElementById("budget-check-box");
    if (box && typeof data.check_html === "string") box.innerHTML = data.check_html;
  });

  form.addEventListener("autosave:refused", function (event) {
    var errors = (event.detail || {}).errors || {};
    cells.forEach(function (cell) { if (errors[cell.name]) mark(cell, true); });
  });
})();
