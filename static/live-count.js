// Keeps the count on the campaign page current. The page works without it.
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.getAttribute("data-url");
  var target = document.querySelector("[data-live-count]");
  if (!url || !target || !window.fetch) return;
  var formatter = new Intl.NumberFormat(document.documentElement.lang || undefined);
  function refresh() {
    if (document.hidden) return;
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        target.textContent = formatter.format(data.signature_count);
        var bar = document.querySelector(".tally progress");
        if (bar) bar.value = Math.min(data.signature_count, bar.max);
      })
      .catch(function () {});
  }
  window.setInterval(refresh, 30000);
})();
