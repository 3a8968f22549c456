// Polls a background task's JSON status (a ranking run, an assignment proposal) and reloads
// the page once it is over. Markup: an element with data-progress-url holding a .progress-bar,
// a [data-progress-status] text and, optionally, a [data-progress-chunks] counter.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) { return; }
  var bar = box.querySelector(".progress-bar");
  var statusText = box.querySelector("[data-progress-status]");
  var chunks = box.querySelector("[data-progress-chunks]");
  function poll() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        // The width is a pct-N class of portal.css: the CSP allows no style attributes.
        var percent = Math.max(0, Math.min(100, Math.round(data.progress)));
        bar.className = bar.className.replace(/\bpct-\d+\b/, "") + " pct-" + percent;
        bar.textContent = data.progress + "%";
        bar.parentElement.setAttribute("aria-valuenow", data.progress);
        statusText.textContent = data.status_display;
        if (chunks && data.chunks_total) {
          chunks.textContent = data.chunks_done + " / " + data.chunks_total;
        }
        if (data.status === "pending" || data.status === "running") {
          window.setTimeout(poll, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
