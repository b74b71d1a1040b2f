/* The availability editor: suggests the browser's time zone beside the zone field. */
(function () {
  "use strict";
  function suggest(root) {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    if (!zone || !root.querySelectorAll) { return; }
    root.querySelectorAll("[data-browser-zone]").forEach(function (note) {
      var button = note.querySelector("[data-use-zone]");
      var input = document.getElementById(button.getAttribute("data-use-zone"));
      if (!input || note.dataset.ready || input.value === zone) { return; }
      note.dataset.ready = "1";
      note.querySelector("[data-zone-name]").textContent = zone;
      note.hidden = false;
      button.addEventListener("click", function () {
        input.value = zone;
        note.hidden = true;
        input.focus();
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { suggest(document); });
  // A section swapped in by htmx brings a fresh field.
  document.addEventListener("htmx:load", function (event) { suggest(event.detail.elt); });
})();
