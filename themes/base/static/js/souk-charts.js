/* Draws every <figure data-chart> (templates/charts/_chart.html) with the vendored Chart.js,
   in the marketplace's colours; again after htmx swaps in new figures. Money values are
   integer minor units, formatted with the currency's exponent. */
(function () {
  "use strict";
  function brand(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }
  function formatter(spec) {
    if (spec.unit === "money") {
      var nf = new Intl.NumberFormat(undefined, { style: "currency", currency: spec.currency });
      return function (v) { return nf.format(v / Math.pow(10, spec.exponent)); };
    }
    if (spec.unit === "percent") {
      return function (v) { return (v / 100).toFixed(1) + " %"; };
    }
    var plain = new Intl.NumberFormat();
    return function (v) { return plain.format(v); };
  }
  function palette(count) {
    var base = [brand("--brand-primary", "#2f6fde"), brand("--brand-accent", "#f5a623"),
      "#1e7d3a", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d"];
    var colours = [];
    for (var i = 0; i < count; i++) { colours.push(base[i % base.length]); }
    return colours;
  }
  function draw(figure) {
    if (figure.dataset.drawn || typeof Chart === "undefined") { return; }
    var data = document.getElementById(figure.dataset.chart);
    var canvas = figure.querySelector("canvas");
    if (!data || !canvas) { return; }
    var spec = JSON.parse(data.textContent);
    var format = formatter(spec);
    var isRound = spec.kind === "doughnut";
    var type = spec.kind === "funnel" ? "bar" : spec.kind;
    var colours = palette(isRound ? spec.labels.length : spec.series.length);
    var datasets = spec.series.map(function (s, i) {
      var colour = s.colour || colours[i];
      return {
        label: s.label, data: s.values,
        backgroundColor: isRound ? colours : colour,
        borderColor: isRound ? "#fff" : colour,
        fill: false, tension: 0.25, pointRadius: spec.labels.length > 40 ? 0 : 3
      };
    });
    var options = {
      responsive: true, maintainAspectRatio: false, animation: false,
      indexAxis: spec.kind === "funnel" ? "y" : "x",
      plugins: {
        legend: { display: isRound || spec.series.length > 1, position: "bottom" },
        tooltip: { callbacks: { label: function (ctx) {
          var v = ctx.parsed && typeof ctx.parsed === "object" ? (spec.kind === "funnel" ? ctx.parsed.x : ctx.parsed.y) : ctx.parsed;
          return (ctx.dataset.label ? ctx.dataset.label + ": " : "") + format(v);
        } } }
      }
    };
    if (!isRound) {
      var valueAxis = { beginAtZero: true, ticks: { precision: spec.unit === "money" ? undefined : 0, callback: function (v) { return format(v); } } };
      options.scales = spec.kind === "funnel" ? { x: valueAxis } : { y: valueAxis };
    }
    new Chart(canvas, { type: type, data: { labels: spec.labels, datasets: datasets }, options: options });
    figure.dataset.drawn = "1";
  }
  function drawAll(root) {
    (root || document).querySelectorAll("figure[data-chart]").forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
})();
