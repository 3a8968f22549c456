// Behaviour every page shares, kept out of the markup: the Content-Security-Policy allows no
// inline script or event handler. A <select data-submit-on-change> submits its form when changed
// (the language switcher; it has a <noscript> button).
(function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
