// The gig package chooser's total: the chosen package's price plus the checked extras,
// in minor units, shown as the server shows money ("120.00 USD"), with the delivery days.
(function () {
  "use strict";
  function format(amount, exponent, currency) {
    var sign = amount < 0 ? "-" : "";
    var value = Math.abs(amount);
    if (exponent === 0) return sign + value + " " + currency;
    var unit = Math.pow(10, exponent);
    var fraction = String(value % unit);
    while (fraction.length < exponent) fraction = "0" + fraction;
    return sign + Math.floor(value / unit) + "." + fraction + " " + currency;
  }
  function update(form) {
    var chosen = form.querySelector('input[name="package"]:checked');
    var total = form.querySelector("[data-gig-total]");
    var days = form.querySelector("[data-gig-days]");
    if (!chosen || !total) return;
    var amount = parseInt(chosen.dataset.price, 10);
    var delivery = parseInt(chosen.dataset.days, 10);
    form.querySelectorAll('input[name="extra"]:checked').forEach(function (extra) {
      amount += parseInt(extra.dataset.price, 10);
      delivery += parseInt(extra.dataset.days, 10);
    });
    delivery = Math.max(1, delivery);
    total.dataset.amount = String(amount);
    total.textContent = format(amount, parseInt(form.dataset.exponent, 10), form.dataset.currency);
    if (days) days.textContent = "Delivery in " + delivery + " day" + (delivery === 1 ? "" : "s");
  }
  document.querySelectorAll("[data-gig-chooser]").forEach(function (form) {
    form.addEventListener("change", function () { update(form); });
    update(form);
  });
})();
