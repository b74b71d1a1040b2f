/* A small rich-text editor for the legal pages: a toolbar over a contenteditable area that
   writes its HTML back into the form's textarea (the no-JavaScript fallback, which takes the
   same limited HTML). The server sanitises whatever arrives (nh3 allow-list). */
(function () {
  "use strict";

  var COMMANDS = [
    { label: "Heading", command: "formatBlock", value: "h2" },
    { label: "Subheading", command: "formatBlock", value: "h3" },
    { label: "Paragraph", command: "formatBlock", value: "p" },
    { label: "Bold", command: "bold" },
    { label: "Italic", command: "italic" },
    { label: "Bulleted list", command: "insertUnorderedList" },
    { label: "Numbered list", command: "insertOrderedList" },
    { label: "Link", command: "createLink" },
    { label: "Remove link", command: "unlink" }
  ];

  function enhance(form) {
    var source = form.querySelector("textarea.rich-text-source");
    if (!source) return;
    var label = form.querySelector("label[for='" + source.id + "']");
    var toolbar = document.createElement("div");
    toolbar.className = "rich-text-toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", "Formatting");
    var area = document.createElement("div");
    area.className = "rich-text-area";
    area.contentEditable = "true";
    area.setAttribute("role", "textbox");
    area.setAttribute("aria-multiline", "true");
    if (label) {
      label.id = label.id || source.id + "-label";
      area.setAttribute("aria-labelledby", label.id);
      label.addEventListener("click", function () { area.focus(); });
    }
    area.innerHTML = source.value || "<p><br></p>";
    COMMANDS.forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = spec.label;
      // Keep the editor's selection: a button that took focus would drop it.
      button.addEventListener("mousedown", function (event) { event.preventDefault(); });
      button.addEventListener("click", function () {
        area.focus();
        var value = spec.value || null;
        if (spec.command === "createLink") {
          value = window.prompt("Link address (https://…)", "https://");
          if (!value) return;
        }
        document.execCommand(spec.command, false, value);
        source.value = area.innerHTML;
      });
      toolbar.appendChild(button);
    });
    area.addEventListener("input", function () { source.value = area.innerHTML; });
    form.addEventListener("submit", function () { source.value = area.innerHTML; });
    source.parentNode.insertBefore(toolbar, source);
    source.parentNode.insertBefore(area, source);
    source.hidden = true;
  }

  function init() {
    var forms = document.querySelectorAll("form[data-rich-text]");
    if (forms.length) document.execCommand("defaultParagraphSeparator", false, "p");
    for (var i = 0; i < forms.length; i++) enhance(forms[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
