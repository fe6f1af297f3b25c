// Small progressive enhancement: htmx sends the session's CSRF token on every request it makes,
// and a page with a live queue listens to /app/events (server-sent events) and refreshes it.
"use strict";
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.body.dataset.csrf;
  if (token) { event.detail.headers["X-CSRF-Token"] = token; }
});
document.addEventListener("DOMContentLoaded", function () {
  var queue = document.querySelector("[data-live]");
  if (!queue || !window.EventSource) { return; }
  var state = document.getElementById("live-state");
  var source = new EventSource(queue.dataset.live);
  source.addEventListener("ticket", function () {
    document.body.dispatchEvent(new CustomEvent("ticket-event"));
  });
  source.onopen = function () { if (state) { state.textContent = "实时更新中"; state.dataset.state = "open"; } };
  source.onerror = function () { if (state) { state.textContent = "连接中断，正在重连…"; state.dataset.state = "retrying"; } };
});
