/* Quiz pages: a countdown for timed attempts, and up/down buttons for ordering questions
   (the position selects keep working without this script). */
(function () {
  "use strict";
  function countdown(timer) {
    var left = parseInt(timer.getAttribute("data-seconds-left"), 10) || 0;
    var shown = timer.querySelector("[data-countdown]");
    var end = Date.now() + left * 1000;
    function tick() {
      var s = Math.max(0, Math.round((end - Date.now()) / 1000));
      var m = Math.floor(s / 60);
      shown.textContent = m + ":" + String(s % 60).padStart(2, "0");
      if (s <= 60) { timer.classList.add("qz-urgent"); }
      if (s > 0) { window.setTimeout(tick, 1000); }
    }
    tick();
  }
  function renumber(list) {
    var items = list.querySelectorAll("[data-item]");
    items.forEach(function (item, index) {
      item.querySelector("[data-position]").value = String(index + 1);
    });
  }
  function ordering(list) {
    list.querySelectorAll(".qz-move").forEach(function (tools) { tools.hidden = false; });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-move]");
      if (!button) { return; }
      var item = button.closest("[data-item]");
      if (button.getAttribute("data-move") === "-1" && item.previousElementSibling) {
        list.insertBefore(item, item.previousElementSibling);
      } else if (button.getAttribute("data-move") === "1" && item.nextElementSibling) {
        list.insertBefore(item.nextElementSibling, item);
      }
      renumber(list);
      button.focus();
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-seconds-left]").forEach(countdown);
    document.querySelectorAll("[data-order]").forEach(ordering);
  });
})();
