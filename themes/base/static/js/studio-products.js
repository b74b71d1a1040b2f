// Studio products: select-all and the reprice fields of the bulk bar, and drag-and-drop
// ordering of pictures (the up/down buttons do the same without JavaScript).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function syncBulk(form) {
    var action = form.querySelector("[name=action]");
    if (action) form.classList.toggle("is-reprice", action.value === "reprice");
    var mode = form.querySelector("[name=reprice_mode]");
    var percent = !mode || mode.value === "percent";
    var show = function (selector, on) {
      form.querySelectorAll(selector).forEach(function (el) { el.hidden = !on; });
    };
    show("#bulk-change, label[for=bulk-change]", percent);
    show("#bulk-currency, #bulk-amount, label[for=bulk-amount]", !percent);
  }

  function wire(root) {
    root.querySelectorAll(".bulk-form:not([data-wired])").forEach(function (form) {
      form.dataset.wired = "1";
      syncBulk(form);
      form.addEventListener("change", function (event) {
        if (event.target.classList.contains("select-all")) {
          form.querySelectorAll("[name=product_ids]").forEach(function (box) { box.checked = event.target.checked; });
        }
        syncBulk(form);
      });
    });
    root.querySelectorAll(".image-list:not([data-wired])").forEach(function (list) {
      list.dataset.wired = "1";
      wireDrag(list);
    });
  }

  function wireDrag(list) {
    var dragged = null;
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest(".image-item");
      if (!dragged) return;
      dragged.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.imageId);
    });
    list.addEventListener("dragover", function (event) {
      var over = event.target.closest(".image-item");
      if (!dragged || !over || over === dragged) return;
      event.preventDefault();
      list.querySelectorAll(".is-drop-target").forEach(function (el) { el.classList.remove("is-drop-target"); });
      over.classList.add("is-drop-target");
    });
    list.addEventListener("drop", function (event) {
      var over = event.target.closest(".image-item");
      if (!dragged || !over || over === dragged) return;
      event.preventDefault();
      var items = Array.prototype.slice.call(list.children);
      if (items.indexOf(dragged) < items.indexOf(over)) over.after(dragged); else over.before(dragged);
      var order = Array.prototype.map.call(list.children, function (el) { return el.dataset.imageId; });
      var form = list.parentNode.querySelector(".order-form");
      form.querySelector("[name=order]").value = order.join(",");
      if (window.htmx) window.htmx.trigger(form, "submit"); else form.submit();
    });
    list.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("is-dragging");
      list.querySelectorAll(".is-drop-target").forEach(function (el) { el.classList.remove("is-drop-target"); });
      dragged = null;
    });
  }

  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSettle", function () { wire(document); });
})();
