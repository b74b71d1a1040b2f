/* A text lesson's time on page: every data-reading-every seconds the page tells the server
   it was read for that long (htmx posts the .cl-reader form on its "cl-read" event), but only
   while the tab is visible: a lesson left open in a background tab does not complete itself.
   No inline script and no htmx trigger filter (both need eval, which the CSP forbids). */
(function () {
  "use strict";
  function start() {
    var form = document.querySelector(".cl-reader[data-reading-every]");
    if (!form || !window.htmx) { return; }
    var every = parseInt(form.getAttribute("data-reading-every"), 10) * 1000;
    if (!(every > 0)) { return; }
    var visibleSince = document.visibilityState === "visible" ? Date.now() : null;
    var banked = 0;
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        visibleSince = Date.now();
      } else if (visibleSince !== null) {
        banked += Date.now() - visibleSince;
        visibleSince = null;
      }
    });
    window.setInterval(function () {
      var seen = banked + (visibleSince !== null ? Date.now() - visibleSince : 0);
      if (seen < every) { return; }
      banked = seen - every;
      if (visibleSince !== null) { visibleSince = Date.now(); }
      window.htmx.trigger(form, "cl-read");
    }, 1000);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
