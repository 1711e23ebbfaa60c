// zhili web: small helpers shared by pages. No framework beyond HTMX.
(function () {
  "use strict";
  // Countdowns: <span data-deadline="ISO"> shows the time left and turns red when overdue.
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute("data-deadline")) - now) / 1000);
      var sign = left < 0 ? "已超时 " : "剩余 ";
      var s = Math.abs(left);
      var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
      el.textContent = sign + (h ? h + "小时" : "") + m + "分" + (h ? "" : sec + "秒");
      el.classList.toggle("overdue", left < 0);
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  // "Select all" boxes for bulk actions: <input type=checkbox data-check-all="name">.
  document.addEventListener("change", function (ev) {
    var box = ev.target;
    if (box && box.getAttribute && box.getAttribute("data-check-all")) {
      document.querySelectorAll('input[name="' + box.getAttribute("data-check-all") + '"]')
        .forEach(function (b) { b.checked = box.checked; });
    }
  });
})();
