/* The booking calendar (consulting/partials/slot_week.html): start in the browser's own time
   zone and follow the zone select, swapping the week with htmx and keeping the zone in the
   address. On the account pages the zone select reloads the page with ?tz=. No inline
   script, no eval (the pages' CSP). */
(function () {
  "use strict";

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function hasOption(select, zone) {
    return Array.prototype.some.call(select.options, function (option) {
      return option.value === zone;
    });
  }

  function query(week, zone) {
    var params = new URLSearchParams();
    params.set("tz", zone);
    params.set("week", week.getAttribute("data-week") || "");
    var rebook = week.getAttribute("data-rebook");
    if (rebook) params.set("rebook", rebook);
    return params.toString();
  }

  function loadWeek(week, zone) {
    var search = query(week, zone);
    var page = new URL(window.location.href);
    page.search = search;
    window.history.replaceState(window.history.state, "", page.toString());
    window.htmx.ajax("GET", week.getAttribute("data-slots-url") + "?" + search, {
      target: week,
      swap: "outerHTML",
    });
  }

  function startInBrowserZone() {
    var zone = browserZone();
    document.querySelectorAll('[data-consult-week][data-zone-chosen="0"]').forEach(function (week) {
      var select = week.querySelector("[data-consult-zone]");
      if (!zone || !select || !hasOption(select, zone)) return;
      week.setAttribute("data-zone-chosen", "1");
      if (zone !== week.getAttribute("data-zone")) loadWeek(week, zone);
    });
  }

  function hideApplyButtons(root) {
    root.querySelectorAll("[data-consult-zone-apply]").forEach(function (button) {
      button.hidden = true; /* the select applies itself; the button is for no script */
    });
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("[data-consult-zone]")) return;
    var week = select.closest("[data-consult-week]");
    if (week && window.htmx) {
      loadWeek(week, select.value);
    } else if (select.form) {
      select.form.submit();
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    hideApplyButtons(document);
  });

  function start() {
    hideApplyButtons(document);
    if (window.htmx) startInBrowserZone();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
