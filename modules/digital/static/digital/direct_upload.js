/* Direct uploads of a new version to the bucket (modules/digital/studio_uploads.py).
   A version form with data-direct-start asks Souk for a signed POST, sends the file to the
   bucket with a progress bar, then asks Souk to publish it and swaps in the file's card.
   Without a bucket (409, direct: false) the ordinary form is submitted (htmx or a plain
   POST). Loaded once per file card; runs once. */
(function () {
  "use strict";
  if (window.soukDirectUpload) { return; }
  window.soukDirectUpload = true;

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function askSouk(form, url, fields) {
    var body = new FormData();
    Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" }
    });
  }

  function sendToBucket(ticket, file, onProgress) {
    return new Promise(function (resolve, reject) {
      var body = new FormData();
      Object.keys(ticket.fields).forEach(function (name) { body.append(name, ticket.fields[name]); });
      body.append("file", file);  // S3 wants the file as the form's last field
      var request = new XMLHttpRequest();
      request.open("POST", ticket.url);
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { onProgress(event.loaded, event.total); }
      });
      request.addEventListener("load", function () {
        if (request.status >= 200 && request.status < 300) { resolve(); } else { reject(new Error("bucket " + request.status)); }
      });
      request.addEventListener("error", function () { reject(new Error("network")); });
      request.send(body);
    });
  }

  function parts(form) {
    return {
      error: form.querySelector("[data-direct-error]"),
      progress: form.querySelector("[data-direct-progress]"),
      bar: form.querySelector("[data-direct-progress] progress"),
      status: form.querySelector("[data-direct-status]"),
      button: form.querySelector("button[type=submit]")
    };
  }

  function showError(form, message) {
    var p = parts(form);
    if (p.progress) { p.progress.hidden = true; }
    if (p.button) { p.button.disabled = false; }
    if (p.error) { p.error.textContent = message; p.error.hidden = false; }
  }

  function showProgress(form, loaded, total) {
    var p = parts(form);
    var percent = total ? Math.floor((loaded * 100) / total) : 0;
    if (p.bar) { p.bar.value = percent; }
    if (p.status) { p.status.textContent = "Uploading… " + percent + "%"; }
  }

  function swapCard(form, html) {
    var card = form.closest(".dg-file");
    if (!card) { window.location.reload(); return; }
    var id = card.id;
    card.outerHTML = html;
    var fresh = document.getElementById(id);
    if (fresh && window.htmx) { window.htmx.process(fresh); }
  }

  function submitOrdinarily(form) {
    form.dataset.directSkip = "1";
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.directStart) { return; }
    if (form.dataset.directSkip === "1") { delete form.dataset.directSkip; return; }
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    if (!file) { return; }  // the ordinary form says "choose the file"
    // Capturing on the document, before htmx's listener on the form sees the submit.
    event.preventDefault();
    event.stopImmediatePropagation();
    var p = parts(form);
    if (p.error) { p.error.hidden = true; }
    if (p.button) { p.button.disabled = true; }
    var changelog = form.querySelector("textarea[name=changelog]");
    askSouk(form, form.dataset.directStart, { name: file.name, size: String(file.size) })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (ticket) {
          if (response.status === 409 && ticket.direct === false) {
            if (p.button) { p.button.disabled = false; }
            submitOrdinarily(form);
            return null;
          }
          if (!response.ok) { throw new Error(ticket.message || "The upload could not start."); }
          if (p.progress) { p.progress.hidden = false; }
          showProgress(form, 0, file.size);
          return sendToBucket(ticket, file, function (loaded, total) { showProgress(form, loaded, total); })
            .catch(function () { throw new Error("The upload to storage did not go through. Check your connection and try again."); })
            .then(function () {
              if (p.status) { p.status.textContent = "Checking the file…"; }
              return askSouk(form, ticket.complete_url, { name: file.name, changelog: changelog ? changelog.value : "" });
            })
            .then(function (done) {
              if (!done.ok) { throw new Error("The file was uploaded but could not be published. Try again."); }
              return done.text();
            })
            .then(function (html) { swapCard(form, html); });
        });
      })
      .catch(function (error) { showError(form, error.message || "The upload did not go through."); });
  }, true);
})();
