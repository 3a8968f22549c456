// Behaviour every page shares, kept out of the markup: the Content-Security-Policy allows no
// inline script or event handler.
// - A <select data-submit-on-change> submits its form when changed (the language switcher; it
//   has a <noscript> button).
// - Kept drafts: text typed in the bid workspace and not yet acknowledged by the server is kept
//   in localStorage under "portal-draft:<user id>:<bid>:<part>" (static/js/autosave.js). The
//   user id comes from <body data-portal-user>; signing out (any form posting to
//   <body data-logout-url>) removes that user's drafts, so that whoever signs in next on this
//   browser is never offered them. Keys of the first format ("bid-draft:…", tied to no user)
//   are dropped on sight.
// - A <form data-warn-unsaved> asks before the page is left with changes typed but not sent.
(function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  var PREFIX = "portal-draft:";
  var body = document.body;

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function removeKeys(startsWith) {
    var store = storage();
    if (!store) return;
    var doomed = [];
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(startsWith) === 0) doomed.push(key);
    }
    doomed.forEach(function (key) { store.removeItem(key); });
  }

  window.portalDrafts = {
    // The storage key of one editable part ("<bid>:<part>") for the signed-in user, or null.
    key: function (part) {
      var user = body.dataset.portalUser;
      return user ? PREFIX + user + ":" + part : null;
    },
    clearUser: function (user) { if (user) removeKeys(PREFIX + user + ":"); },
    signingOut: false
  };

  removeKeys("bid-draft:");

  var logoutUrl = body.dataset.logoutUrl;
  if (logoutUrl) {
    document.querySelectorAll("form").forEach(function (form) {
      var action = form.getAttribute("action");
      if (action === null || new URL(action, window.location.href).pathname !== logoutUrl) return;
      form.addEventListener("submit", function () {
        window.portalDrafts.signingOut = true;  // autosave.js keeps nothing more
        window.portalDrafts.clearUser(body.dataset.portalUser);
      });
    });
  }

  document.querySelectorAll("form[data-warn-unsaved]").forEach(function (form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (!dirty) return;
      event.preventDefault();
      event.returnValue = "";
    });
  });
})();
