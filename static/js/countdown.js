/* Countdown to the deadline, ticking every second from what the server rendered:
   <span data-countdown-to="2026-06-30T21:59:00+00:00" data-seconds-left="5400">…</span>
   ``data-seconds-left`` is ``Call.seconds_left`` on the server's clock when the page was built;
   the script only subtracts the time elapsed since, so a visitor's clock set wrong changes
   nothing (elapsed time keeps counting while the machine sleeps). The server decides whether to show it (the last 7 days of
   a call accepting submissions) and enforces the deadline itself. */
(function () {
  "use strict";
  var elements = document.querySelectorAll("[data-countdown-to][data-seconds-left]");
  if (!elements.length) return;
  var gettext = window.gettext || function (s) { return s; };
  var ngettext = window.ngettext || function (s, p, n) { return n === 1 ? s : p; };
  var fmt = window.interpolate || function (s, args) { return s.replace(/%s/g, function () { return args.shift(); }); };
  var loadedAt = Date.now();

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function render(el) {
    var secondsLeft = parseInt(el.dataset.secondsLeft, 10);
    if (isNaN(secondsLeft)) return;
    var left = secondsLeft - Math.floor((Date.now() - loadedAt) / 1000);
    if (left <= 0) {
      el.textContent = gettext("The deadline has passed.");
      return;
    }
    var days = Math.floor(left / 86400);
    var rest = left % 86400;
    var clock = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
    if (days > 0) {
      el.textContent = fmt(ngettext("Closes in %s day %s", "Closes in %s days %s", days), [days, clock]);
    } else {
      el.textContent = fmt(gettext("Closes in %s"), [clock]);
    }
  }

  function tick() { elements.forEach(render); }
  tick();
  window.setInterval(tick, 1000);
})();
