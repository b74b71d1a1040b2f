/* Dispute pages: listen to this dispute live (SoukLive, souk-live.js) so the page re-renders
   itself on souk:dispute.* events (htmx in _body.html), and check the decision's split as the
   operator types: refund + release must equal what is held; refund + compensation at most
   what can go back to the buyer. */
(function () {
  "use strict";
  function subscribe() {
    var body = document.getElementById("dispute-body");
    if (!body || !window.SoukLive) return;
    window.SoukLive.subscribe("dispute", Number(body.dataset.disputeId));
  }
  function minor(text) {
    var value = String(text || "0").replace(",", ".").trim();
    if (!/^\d*(\.\d{0,2})?$/.test(value) || value === "" || value === ".") return NaN;
    return Math.round(parseFloat(value) * 100);
  }
  function format(cents, currency) {
    return (cents / 100).toFixed(2) + " " + currency;
  }
  function check(form) {
    var held = minor(form.dataset.held), refundable = minor(form.dataset.refundable);
    var currency = form.dataset.currency || "";
    var parts = {};
    form.querySelectorAll("[data-part]").forEach(function (input) { parts[input.dataset.part] = minor(input.value); });
    var out = form.querySelector("[data-split-check]"), submit = form.querySelector("[data-split-submit]");
    var message, ok = false;
    var kind = form.querySelector("[name=resolution_type]");
    if (kind && kind.value === "revision" && parts.refund === 0 && parts.release === 0 && parts.compensation === 0) {
      message = "Revision: no money moves now; the held money waits for the new delivery.";
      ok = true;
    } else if (isNaN(parts.refund) || isNaN(parts.release) || isNaN(parts.compensation)) {
      message = "Amounts are numbers like 12.50.";
    } else if (parts.refund + parts.release !== held) {
      var diff = held - parts.refund - parts.release;
      message = "Refund + release = " + format(parts.refund + parts.release, currency) + "; must be " + format(held, currency) +
        (diff > 0 ? " (" + format(diff, currency) + " left to split)" : " (" + format(-diff, currency) + " too much)");
    } else if (parts.refund + parts.compensation > refundable) {
      message = "At most " + format(refundable, currency) + " can go back to the buyer.";
    } else {
      ok = true;
      message = "Buyer gets " + format(parts.refund + parts.compensation, currency) + ", seller " + format(parts.release, currency) + ".";
    }
    out.textContent = message;
    out.classList.toggle("is-ok", ok);
    out.classList.toggle("is-off", !ok);
    if (submit) submit.disabled = !ok;
  }
  function wire(root) {
    (root || document).querySelectorAll("form[data-split]").forEach(function (form) {
      if (form.dataset.wired) return;
      form.dataset.wired = "1";
      form.addEventListener("input", function () { check(form); });
      form.addEventListener("change", function () { check(form); });
      check(form);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { subscribe(); wire(); });
  document.addEventListener("htmx:afterSwap", function () { wire(); });
})();
