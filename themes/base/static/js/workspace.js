/* The studio's and back-office's section strip scrolls sideways on phones: bring the current
   section into view so a person sees where they are. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var current = document.querySelector(".workspace-nav [aria-current]");
    if (current && current.scrollIntoView) {
      current.scrollIntoView({ inline: "center", block: "nearest" });
    }
  });
})();
