// Polls an assignment proposal's progress and reloads the page once it is computed.
(function () {
  "use strict";
  var box = document.getElementById("proposal-progress");
  if (!box) { return; }
  var bar = document.getElementById("proposal-bar");
  var statusText = document.getElementById("proposal-status");
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        bar.style.width = data.progress + "%";
        bar.textContent = data.progress + "%";
        bar.parentElement.setAttribute("aria-valuenow", data.progress);
        statusText.textContent = data.status_display;
        if (data.status === "pending" || data.status === "running") {
          window.setTimeout(poll, 1500);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
