// Polls a ranking run's status every second and reloads the page once it is over.
(function () {
  "use strict";
  var box = document.getElementById("ranking-progress");
  if (!box) { return; }
  var bar = document.getElementById("ranking-bar");
  var statusText = document.getElementById("ranking-status");
  var chunks = document.getElementById("ranking-chunks");
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        bar.style.width = data.progress + "%";
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
