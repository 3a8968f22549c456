/* Live totals of the decision page: winners, amounts awarded against the envelope, reserve
   list and deviations, recomputed as the administrator edits the lines. The page shows one
   page of lines: the server's totals over every line, plus what the edits on this page
   change. The server checks everything again on save; this only saves a round trip. */
(function () {
  "use strict";
  var box = document.getElementById("decision-totals");
  var form = document.getElementById("decision-form");
  if (!box || !form) return;
  var money = new Intl.NumberFormat(document.documentElement.lang || "en", {
    style: "currency", currency: "EUR", maximumFractionDigits: 0
  });
  var envelope = parseInt(box.dataset.envelope, 10);
  var low = parseInt(box.dataset.minWinners, 10);
  var high = parseInt(box.dataset.maxWinners, 10);

  function field(row, name) { return row.querySelector("[name$='-" + name + "']"); }

  var server = {
    winners: parseInt(box.dataset.winners, 10) || 0,
    awarded: parseInt(box.dataset.awarded, 10) || 0,
    reserve: parseInt(box.dataset.reserve, 10) || 0,
    deviations: parseInt(box.dataset.deviations, 10) || 0
  };

  function pageTotals() {
    var winners = 0, awarded = 0, reserve = 0, deviations = 0;
    form.querySelectorAll("[data-decision-line]").forEach(function (row) {
      var outcome = field(row, "outcome").value;
      var amount = parseInt(field(row, "amount").value, 10) || 0;
      if (outcome === "funded") { winners += 1; awarded += amount; }
      if (outcome === "reserve") reserve += 1;
      var recommendedAmount = parseInt(row.dataset.recommendedAmount, 10) || 0;
      if (outcome !== row.dataset.recommended || (outcome === "funded" && amount !== recommendedAmount)) {
        deviations += 1;
      }
    });
    return { winners: winners, awarded: awarded, reserve: reserve, deviations: deviations };
  }
  var initial = pageTotals();

  function update() {
    var now = pageTotals();
    var winners = server.winners + now.winners - initial.winners;
    var awarded = server.awarded + now.awarded - initial.awarded;
    var reserve = server.reserve + now.reserve - initial.reserve;
    var deviations = server.deviations + now.deviations - initial.deviations;
    box.querySelector("[data-total='winners']").textContent = winners;
    box.querySelector("[data-total='awarded']").textContent = money.format(awarded);
    box.querySelector("[data-total='left']").textContent = money.format(envelope - awarded);
    box.querySelector("[data-total='reserve']").textContent = reserve;
    box.querySelector("[data-total='deviations']").textContent = deviations;
    box.classList.toggle("border-danger", awarded > envelope || winners < low || winners > high);
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
})();
