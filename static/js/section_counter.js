/* Live length counter of a bid section, under its text box:
   <p id="section-counter" data-for="id_content" data-limit="3000" data-limit-unit="chars"
      data-unit-label="characters">…</p>
   It counts exactly as the server does (applications/text_limits.py, which refuses a save
   over the limit): line endings normalised to "\n" first; "chars" = Unicode code points
   (Array.from, so an emoji counts 1, not 2 UTF-16 units); "words" = runs of characters
   between the WHITESPACE class below, copied verbatim from text_limits.WHITESPACE (a test
   holds the two equal). The counter only informs: the server decides. */
(function () {
  "use strict";
  var counter = document.getElementById("section-counter");
  if (!counter) return;
  var textarea = document.getElementById(counter.dataset.for);
  var limit = parseInt(counter.dataset.limit, 10);
  var unit = counter.dataset.limitUnit;
  if (!textarea || isNaN(limit)) return;

  var gettext = window.gettext || function (s) { return s; };
  var ngettext = window.ngettext || function (s, p, n) { return n === 1 ? s : p; };
  var fmt = window.interpolate || function (s, o) { return s.replace(/%\((\w+)\)s/g, function (m, k) { return o[k]; }); };
  var WHITESPACE = "\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
  var WORD = new RegExp("[^" + WHITESPACE + "]+", "g");
  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
  var over = document.createElement("span");
  over.className = "ms-2 fw-semibold";
  over.id = "section-counter-over";

  function count(text) {
    var normalised = text.replace(/\r\n?/g, "\n");
    if (unit === "words") return (normalised.match(WORD) || []).length;
    return Array.from(normalised).length;
  }

  function render() {
    var n = count(textarea.value);
    var excess = n - limit;
    counter.textContent = fmt(gettext("%(count)s of %(limit)s"), { count: numbers.format(n), limit: numbers.format(limit) }, true) + " " + (counter.dataset.unitLabel || "");
    counter.dataset.count = String(n);
    counter.classList.toggle("text-danger", excess > 0);
    counter.classList.toggle("text-muted", excess <= 0);
    if (excess > 0) {
      over.textContent = fmt(ngettext("%(over)s over the limit: shorten the text, it is not saved until it fits.", "%(over)s over the limit: shorten the text, it is not saved until it fits.", excess), { over: numbers.format(excess) }, true);
      counter.appendChild(over);
    }
  }

  textarea.addEventListener("input", render);
  render();
})();
