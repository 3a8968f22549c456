/* Autosave of one editable part of a bid (a section's text, the budget table) while typing.

   The form carries data-autosave-url, data-draft-key ("<bid>:<part>"), data-login-url and
   data-merge ("append" for a text, "cells" for the budget); it holds an input[name=version]
   (the version the page was loaded with) and the fields to save (every named textarea and
   visible input). ~1.5 s after the last keystroke the fields are POSTed (form-encoded, CSRF
   token from the cookie). The server answers:
     200 {version, saved_at, …}     → "Saved at 14:03:27", the new version is kept for next time
                                      (the budget's answer also carries the server's totals)
     409 {message}                  → someone else saved: stop, keep the text, show the message
     401 / 403 without JSON         → session expired: keep the text in localStorage, link to log in
     403 {code: "closed", message}  → the deadline has passed: stop, keep the text locally
     422 {message, errors}          → refused input (the budget marks the cells)

   Kept drafts. Until the server acknowledges what was typed, it is kept in localStorage under
   portalDrafts.key(draft key) ("portal-draft:<user>:<bid>:<part>", see static/js/portal.js:
   tied to the signed-in user and removed when they sign out), with the version it was typed
   on. On the next page load:
   - same version on the server: nobody saved since, the page offers to restore the draft;
   - the server moved on (a colleague saved): both are shown side by side (theirs / yours)
     and nothing replaces the saved text until the user asks for it (for a text, "add mine
     below theirs"; for the budget, "use my figures"), then merges by hand and the next save
     starts from the version on the server. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form || !window.portalDrafts) return;
  var versionInput = form.querySelector("input[name=version]");
  var storageKey = window.portalDrafts.key(form.dataset.draftKey || "");
  var fields = Array.prototype.slice.call(
    form.querySelectorAll("textarea[name], input[name]:not([type=hidden]):not([type=submit])")
  );
  if (!versionInput || !storageKey || !fields.length) return;

  var status = document.getElementById("autosave-status");
  var gettext = window.gettext || function (s) { return s; };
  var fmt = window.interpolate || function (s, o) { return s.replace(/%\((\w+)\)s/g, function (m, k) { return o[k]; }); };
  var DELAY = 1500;
  var timer = null;
  var inFlight = false;
  var again = false;
  var stopped = false;
  var submitting = false;
  var lastSaved = values();

  function values() {
    var out = {};
    fields.forEach(function (field) { out[field.name] = field.value; });
    return out;
  }

  // Budget cells compare without their grouping ("2 500 000" is "2500000", as the server
  // reads it); a text compares as typed.
  var thousands = form.dataset.merge === "cells" ? (form.dataset.thousands || "") : null;
  function comparable(value) {
    if (thousands === null || typeof value !== "string") return value;
    return value.split(thousands).join("").replace(/[\s\u00a0\u202f]/g, "");
  }

  function same(a, b) {
    return Object.keys(a).every(function (name) { return comparable(a[name]) === comparable(b[name]); });
  }

  function unsaved() { return !same(values(), lastSaved); }

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

  // Keep what is in the fields, with the version it was typed on.
  function keepLocally() {
    if (window.portalDrafts.signingOut) return;
    try {
      localStorage.setItem(storageKey, JSON.stringify({
        values: values(), base: versionInput.value, at: new Date().toISOString()
      }));
    } catch (e) { /* storage full or disabled: the fields still hold the text */ }
  }

  function forgetLocally() {
    try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ }
  }

  function readLocal() {
    try {
      var draft = JSON.parse(localStorage.getItem(storageKey) || "null");
      return draft && typeof draft.values === "object" && draft.values ? draft : null;
    } catch (e) { return null; }
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function requestBody(sent) {
    var body = new URLSearchParams();
    Object.keys(sent).forEach(function (name) { body.set(name, sent[name]); });
    body.set("version", versionInput.value);
    return body.toString();
  }

  function sessionExpired() {
    stopped = true;
    keepLocally();
    var login = form.dataset.loginUrl || "/accounts/login/";
    setStatus("", "error", escapeHtml(gettext("Your session expired: sign in again (your text is kept).")) +
      ' <a href="' + escapeHtml(login) + '" id="autosave-login">' + escapeHtml(gettext("Sign in")) + "</a>");
  }

  function announce(name, detail) {
    form.dispatchEvent(new CustomEvent(name, { detail: detail }));
  }

  function save() {
    timer = null;
    if (stopped) return;
    if (inFlight) { again = true; return; }
    var sent = values();
    if (same(sent, lastSaved)) { forgetLocally(); return; }
    inFlight = true;
    setStatus(gettext("Saving…"), "muted");
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
      body: requestBody(sent)
    }).then(function (response) {
      var isJson = (response.headers.get("Content-Type") || "").indexOf("application/json") !== -1;
      return (isJson ? response.json() : Promise.resolve(null)).then(function (data) {
        return { status: response.status, type: response.type, data: data };
      });
    }).then(function (result) {
      var data = result.data || {};
      if (result.status === 200 && data.version) {
        versionInput.value = data.version;
        lastSaved = sent;
        // What was typed after the request left is kept again, on the new version.
        if (same(values(), sent)) { forgetLocally(); } else { keepLocally(); }
        setStatus(fmt(gettext("Saved at %(time)s"), { time: data.saved_at }, true), "ok");
        announce("autosave:saved", data);
      } else if (result.status === 409) {
        stopped = true;
        keepLocally();
        setStatus(data.message || gettext("Not saved: someone else saved in the meantime. Nothing you typed is lost: reload the page, the saved version is then shown beside yours to merge."), "error");
      } else if (result.status === 401 || result.type === "opaqueredirect" || (result.status === 403 && !result.data)) {
        sessionExpired();
      } else if (result.status === 403) {
        stopped = true;
        keepLocally();
        setStatus(data.message || gettext("This change is not allowed."), "error");
      } else {
        keepLocally();
        setStatus(data.message || gettext("Not saved: the server refused the text."), "error");
        announce("autosave:refused", data);
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

  function typed() {
    keepLocally();
    if (!stopped) setStatus(gettext("Unsaved changes…"), "muted");
    schedule();
  }

  fields.forEach(function (field) { field.addEventListener("input", typed); });

  form.addEventListener("submit", function () {
    // The plain form POST saves the fields itself; the server answer replaces this page.
    if (timer) window.clearTimeout(timer);
    stopped = true;
    submitting = true;
    keepLocally();
  });

  // Leaving with changes the server has not acknowledged: the browser asks first.
  window.addEventListener("beforeunload", function (event) {
    if (submitting || !unsaved()) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // Leaving the page with unsaved changes: send them one last time (keepalive survives the
  // unload); the copy in localStorage stays until a later page load sees it saved.
  window.addEventListener("pagehide", function () {
    if (stopped || inFlight || !unsaved() || window.portalDrafts.signingOut) return;
    keepLocally();
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
        body: requestBody(values())
      });
    } catch (e) { /* the draft is in localStorage */ }
  });

  function labelOf(field) {
    var label = form.querySelector('label[for="' + field.id + '"]');
    return label ? label.textContent.trim() : field.name;
  }

  function setValues(next) {
    fields.forEach(function (field) {
      if (Object.prototype.hasOwnProperty.call(next, field.name)) field.value = next[field.name];
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  function hide(box) { box.classList.add("d-none"); }

  // Nobody saved since the draft was typed: offer it back as it was.
  function offerRestore(draft) {
    var box = document.getElementById("autosave-restore");
    if (!box) return;
    box.classList.remove("d-none");
    document.getElementById("autosave-restore-yes").addEventListener("click", function () {
      hide(box);
      setValues(draft.values);
    });
    document.getElementById("autosave-restore-no").addEventListener("click", function () {
      forgetLocally();
      hide(box);
    });
  }

  // A colleague saved after the draft was typed: theirs and yours side by side, per field that
  // differs; the saved text stays in the fields until the user chooses.
  function offerMerge(draft) {
    var box = document.getElementById("autosave-merge");
    var rows = document.getElementById("autosave-merge-rows");
    if (!box || !rows) return;
    var theirs = values();
    var names = fields.map(function (field) { return field.name; }).filter(function (name) {
      return typeof draft.values[name] === "string" && comparable(draft.values[name]) !== comparable(theirs[name]);
    });
    if (!names.length) { forgetLocally(); return; }
    rows.textContent = "";
    names.forEach(function (name) {
      var field = form.querySelector('[name="' + name + '"]');
      var row = document.createElement("div");
      row.className = "row g-2 mb-2 merge-row";
      row.dataset.field = name;
      if (names.length > 1 || form.dataset.merge === "cells") {
        var title = document.createElement("div");
        title.className = "col-12 small fw-semibold";
        title.textContent = labelOf(field);
        row.appendChild(title);
      }
      [["theirs", theirs[name]], ["yours", draft.values[name]]].forEach(function (pair) {
        var col = document.createElement("div");
        col.className = "col-md-6";
        var pre = document.createElement("pre");
        pre.className = "bg-white border p-2 small mb-0 pre-wrap merge-" + pair[0];
        pre.textContent = pair[1];
        col.appendChild(pre);
        row.appendChild(col);
      });
      rows.appendChild(row);
    });
    box.classList.remove("d-none");
    document.getElementById("autosave-merge-use").addEventListener("click", function () {
      var next = {};
      names.forEach(function (name) {
        next[name] = form.dataset.merge === "append"
          ? theirs[name].replace(/\s+$/, "") + "\n\n" + draft.values[name]
          : draft.values[name];
      });
      hide(box);
      setValues(next);
      var first = form.querySelector('[name="' + names[0] + '"]');
      if (first) first.focus();
    });
    document.getElementById("autosave-merge-discard").addEventListener("click", function () {
      forgetLocally();
      hide(box);
    });
  }

  // Changes typed earlier in this browser by this user and never acknowledged by the server?
  var draft = readLocal();
  if (draft && !same(draft.values, values())) {
    if (String(draft.base) === versionInput.value) { offerRestore(draft); } else { offerMerge(draft); }
  } else if (draft) {
    forgetLocally();
  }
})();
