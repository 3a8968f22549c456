/* Autosave of one bid section while typing.

   The form carries data-autosave-url, data-autosave-key and data-login-url; it holds a
   textarea[name=content] and an input[name=version] (the version the page was loaded with).
   ~1.5 s after the last keystroke the text is POSTed (form-encoded, CSRF token from the
   cookie). The server answers:
     200 {version, saved_at}        → "Saved at HH:MM", the new version is kept for next time
     409 {message}                  → someone else saved: stop, keep the text, show the message
     401 / 403 without JSON         → session expired: keep the text in localStorage, link to log in
     403 {code: "closed", message}  → the deadline has passed: stop, keep the text locally
   The text is also kept in localStorage until the server acknowledges it, so nothing typed is
   lost; after a reload (e.g. after signing in again) the page offers to restore it. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form) return;
  var textarea = form.querySelector("textarea[name=content]");
  var versionInput = form.querySelector("input[name=version]");
  var status = document.getElementById("autosave-status");
  var restoreBox = document.getElementById("autosave-restore");
  if (!textarea || !versionInput) return;

  var gettext = window.gettext || function (s) { return s; };
  var fmt = window.interpolate || function (s, o) { return s.replace(/%\((\w+)\)s/g, function (m, k) { return o[k]; }); };
  var DELAY = 1500;
  var storageKey = "bid-draft:" + form.dataset.autosaveKey;
  var timer = null;
  var inFlight = false;
  var again = false;
  var stopped = false;
  var lastSaved = textarea.value;

  function setStatus(text, kind, html) {
    if (!status) return;
    status.className = "autosave-status small " + (kind === "error" ? "text-danger fw-semibold" : kind === "ok" ? "text-success" : "text-muted");
    if (html) { status.innerHTML = html; } else { status.textContent = text; }
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function keepLocally() {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ text: textarea.value, at: new Date().toISOString() }));
    } catch (e) { /* storage full or disabled: the textarea still holds the text */ }
  }

  function forgetLocally() {
    try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ }
  }

  function readLocal() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "null"); } catch (e) { return null; }
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function sessionExpired() {
    stopped = true;
    keepLocally();
    var login = form.dataset.loginUrl || "/accounts/login/";
    setStatus("", "error", escapeHtml(gettext("Your session expired: sign in again (your text is kept).")) +
      ' <a href="' + escapeHtml(login) + '" id="autosave-login">' + escapeHtml(gettext("Sign in")) + "</a>");
  }

  function save() {
    timer = null;
    if (stopped) return;
    if (inFlight) { again = true; return; }
    var text = textarea.value;
    if (text === lastSaved) { forgetLocally(); return; }
    inFlight = true;
    setStatus(gettext("Saving…"), "muted");
    var body = new URLSearchParams();
    body.set("content", text);
    body.set("version", versionInput.value);
    fetch(form.dataset.autosaveUrl, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: {
        "X-CSRFToken": csrfToken(),
        "X-Requested-With": "XMLHttpRequest",
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"
      },
      body: body.toString()
    }).then(function (response) {
      var isJson = (response.headers.get("Content-Type") || "").indexOf("application/json") !== -1;
      return (isJson ? response.json() : Promise.resolve(null)).then(function (data) {
        return { status: response.status, type: response.type, data: data };
      });
    }).then(function (result) {
      var data = result.data || {};
      if (result.status === 200 && data.version) {
        versionInput.value = data.version;
        lastSaved = text;
        if (textarea.value === text) forgetLocally();
        setStatus(fmt(gettext("Saved at %(time)s"), { time: data.saved_at }, true), "ok");
      } else if (result.status === 409) {
        stopped = true;
        keepLocally();
        setStatus(data.message || gettext("Someone else saved this section; copy your text, reload the page."), "error");
      } else if (result.status === 401 || result.type === "opaqueredirect" || (result.status === 403 && !result.data)) {
        sessionExpired();
      } else if (result.status === 403) {
        stopped = true;
        keepLocally();
        setStatus(data.message || gettext("This change is not allowed."), "error");
      } else {
        keepLocally();
        setStatus(data.message || gettext("Not saved: the server refused the text."), "error");
      }
    }).catch(function () {
      keepLocally();
      setStatus(gettext("Not saved (network problem). Your text is kept in this browser; saving again when you type."), "error");
    }).then(function () {
      inFlight = false;
      if (again) { again = false; schedule(); }
    });
  }

  function schedule() {
    if (stopped) return;
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(save, DELAY);
  }

  textarea.addEventListener("input", function () {
    keepLocally();
    if (!stopped) setStatus(gettext("Unsaved changes…"), "muted");
    schedule();
  });

  form.addEventListener("submit", function () {
    // The plain form POST saves the text itself; the server answer replaces this page.
    if (timer) window.clearTimeout(timer);
    stopped = true;
    keepLocally();
  });

  // Leaving the page with unsaved text: send it one last time (keepalive survives the
  // unload); the copy in localStorage stays until a later page load sees it saved.
  window.addEventListener("pagehide", function () {
    if (stopped || inFlight || textarea.value === lastSaved) return;
    keepLocally();
    var body = new URLSearchParams();
    body.set("content", textarea.value);
    body.set("version", versionInput.value);
    try {
      fetch(form.dataset.autosaveUrl, {
        method: "POST",
        credentials: "same-origin",
        keepalive: true,
        headers: {
          "X-CSRFToken": csrfToken(),
          "X-Requested-With": "XMLHttpRequest",
          "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"
        },
        body: body.toString()
      });
    } catch (e) { /* the text is in localStorage */ }
  });

  // Text typed earlier in this browser and never acknowledged by the server?
  var local = readLocal();
  if (local && typeof local.text === "string" && local.text !== textarea.value && restoreBox) {
    restoreBox.classList.remove("d-none");
    document.getElementById("autosave-restore-yes").addEventListener("click", function () {
      textarea.value = local.text;
      restoreBox.classList.add("d-none");
      setStatus(gettext("Unsaved changes…"), "muted");
      schedule();
    });
    document.getElementById("autosave-restore-no").addEventListener("click", function () {
      forgetLocally();
      restoreBox.classList.add("d-none");
    });
  } else if (local && local.text === textarea.value) {
    forgetLocally();
  }
})();
