/* The course builder's drag and drop: SortableJS moves sections and lessons (lessons across
   sections too); when a drop ends, the hidden order inputs (in page order) are posted by htmx
   to the reorder view, which answers with the curriculum as saved (or refused, with the
   error). The up/down buttons do the same without JavaScript. */
(function () {
  "use strict";
  function save(event) {
    if (event && event.from === event.to && event.oldIndex === event.newIndex) { return; }
    var form = document.getElementById("cb-order");
    var curriculum = document.getElementById("cb-curriculum");
    if (!form || !window.htmx) { return; }
    if (curriculum) { curriculum.classList.add("cb-saving"); }
    window.htmx.trigger(form, "cb-reorder");
  }
  function init(root) {
    if (!window.Sortable) { return; }
    var scope = root && root.querySelectorAll ? root : document;
    var options = { animation: 150, forceFallback: true, fallbackTolerance: 3, ghostClass: "cb-ghost",
                    chosenClass: "cb-chosen", emptyInsertThreshold: 24 };
    scope.querySelectorAll(".cb-sections").forEach(function (list) {
      if (list.dataset.sortable) { return; }
      list.dataset.sortable = "1";
      window.Sortable.create(list, Object.assign({}, options, { handle: ".cb-section-handle", draggable: ".cb-section", onEnd: save }));
    });
    scope.querySelectorAll(".cb-lessons").forEach(function (list) {
      if (list.dataset.sortable) { return; }
      list.dataset.sortable = "1";
      window.Sortable.create(list, Object.assign({}, options, { group: "cb-lessons", handle: ".cb-lesson-handle", draggable: ".cb-lesson", onEnd: save }));
    });
  }
  function start() {
    init(document);
    if (window.htmx) { window.htmx.onLoad(init); }
    document.body.addEventListener("htmx:afterSwap", function () { init(document); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
