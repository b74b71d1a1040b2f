/* The header search box as an accessible combobox: htmx fills #site-search-suggestions with a
   listbox (storefront/_suggestions.html); this keeps aria-expanded and
   aria-activedescendant true and lets the arrow keys, Enter and Escape work. Without it (or
   without JS) the suggestions are plain links and the form still submits. */
(function () {
  "use strict";
  function parts() {
    var input = document.getElementById("site-search-q");
    var box = document.getElementById("site-search-suggestions");
    return input && box ? { input: input, box: box } : null;
  }
  function options(box) { return Array.prototype.slice.call(box.querySelectorAll('[role="option"]')); }
  function sync() {
    var p = parts(); if (!p) { return; }
    var open = options(p.box).length > 0;
    p.input.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) { p.input.setAttribute("aria-controls", "site-search-listbox"); }
    p.input.removeAttribute("aria-activedescendant");
  }
  function close() {
    var p = parts(); if (!p) { return; }
    p.box.innerHTML = ""; sync();
  }
  function move(step) {
    var p = parts(); if (!p) { return; }
    var all = options(p.box); if (!all.length) { return; }
    var current = all.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    var next = (current + step + all.length) % all.length;
    all.forEach(function (o, i) { o.setAttribute("aria-selected", i === next ? "true" : "false"); });
    p.input.setAttribute("aria-activedescendant", all[next].id);
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "site-search-suggestions") { sync(); }
  });
  document.addEventListener("keydown", function (event) {
    var p = parts(); if (!p || event.target !== p.input) { return; }
    if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
    else if (event.key === "Escape") { close(); }
    else if (event.key === "Enter") {
      var active = p.box.querySelector('[aria-selected="true"] a');
      if (active) { event.preventDefault(); window.location.assign(active.getAttribute("href")); }
    }
  });
  document.addEventListener("click", function (event) {
    var p = parts(); if (p && !p.input.closest("form").contains(event.target)) { close(); }
  });
})();
