/* The category tree's drag and drop (SortableJS, vendored beside this file). Without
   JavaScript the page works with its up/down and move buttons; with it, dropping a category
   posts its new list (parent + ordered ids) to the reorder URL, which moves and renumbers
   through the catalogue's services, then the page reloads to show the saved tree. */
(function () {
  "use strict";

  function init() {
    var tree = document.getElementById("category-tree");
    if (!tree || typeof window.Sortable === "undefined") return;
    var url = tree.getAttribute("data-reorder-url");
    var tokenInput = tree.querySelector("input[name=csrfmiddlewaretoken]");
    var status = document.getElementById("reorder-status");
    var lists = tree.querySelectorAll("ul.sortable-level");

    function say(text) { if (status) status.textContent = text; }

    function save(list) {
      var ids = [];
      for (var i = 0; i < list.children.length; i++) {
        var id = list.children[i].getAttribute("data-id");
        if (id) ids.push(id);
      }
      if (!ids.length) return;
      var body = new FormData();
      body.append("csrfmiddlewaretoken", tokenInput ? tokenInput.value : "");
      body.append("parent", list.getAttribute("data-parent") || "");
      body.append("order", ids.join(","));
      say("Saving…");
      fetch(url, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (result) {
          if (result.ok) {
            say("Saved.");
            window.location.reload();
            return;
          }
          var errors = (result.data && result.data.errors) || {};
          var first = (errors.order || errors.parent || [{ message: "Not saved." }])[0];
          say(first.message + " Reload the page to see the saved order.");
        })
        .catch(function () { say("Not saved: the connection failed. Reload the page and try again."); });
    }

    for (var i = 0; i < lists.length; i++) {
      window.Sortable.create(lists[i], {
        group: "categories",
        handle: ".handle",
        animation: 150,
        // Pointer events rather than native drag and drop: the same on mouse and touch.
        forceFallback: true,
        fallbackOnBody: true,
        swapThreshold: 0.65,
        emptyInsertThreshold: 8,
        onEnd: function (event) { save(event.to); }
      });
    }
    document.documentElement.classList.add("categories-draggable");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
