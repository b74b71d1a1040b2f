/* The bell's live count (souk:notification.new from souk-live.js), the centre's "new" hint,
   and turning web push on or off for this device on the settings page. */
(function () {
  "use strict";
  function setCount(count) {
    document.querySelectorAll("[data-notification-bell]").forEach(function (bell) {
      var badge = bell.querySelector("[data-unread-count]");
      if (!badge) return;
      badge.textContent = count > 99 ? "99+" : String(count);
      badge.hidden = !count;
      bell.setAttribute("aria-label", count ? "Notifications, " + count + " unread" : "Notifications");
    });
  }
  function fetchCount() {
    if (!document.querySelector("[data-notification-bell][data-unread-unknown]")) return;
    fetch("/api/v1/notifications/unread-count", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) setCount(body.unread_count); })
      .catch(function () {});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fetchCount); else fetchCount();
  document.addEventListener("souk:notification.new", function (event) {
    var data = event.detail || {};
    if (typeof data.unread_count === "number") setCount(data.unread_count);
    var live = document.querySelector("[data-notification-live]");
    if (live) live.hidden = false;
  });

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }
  function api(method, path, body) {
    return fetch("/api/v1/notifications" + path, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") },
      body: body ? JSON.stringify(body) : undefined
    });
  }
  function keyBytes(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }
  function setupPush() {
    var box = document.querySelector("[data-push-device]");
    if (!box || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
    var on = box.querySelector("[data-push-enable]"), off = box.querySelector("[data-push-disable]");
    var state = box.querySelector("[data-push-state]");
    box.hidden = false;
    function show(subscription) { on.hidden = !!subscription; off.hidden = !subscription; }
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function (registration) {
      return registration.pushManager.getSubscription().then(show).then(function () {
        on.addEventListener("click", function () {
          api("GET", "/push/vapid-public-key").then(function (r) { return r.json(); }).then(function (key) {
            return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key.public_key) });
          }).then(function (subscription) {
            var json = subscription.toJSON();
            return api("POST", "/push/subscriptions", { endpoint: json.endpoint, keys: json.keys }).then(function () { show(subscription); state.textContent = "Push is on for this device."; });
          }).catch(function () { state.textContent = "Push could not be turned on (was permission refused?)."; });
        });
        off.addEventListener("click", function () {
          registration.pushManager.getSubscription().then(function (subscription) {
            if (!subscription) return show(null);
            return api("POST", "/push/subscriptions/delete", { endpoint: subscription.endpoint }).then(function () { return subscription.unsubscribe(); }).then(function () { show(null); state.textContent = "Push is off for this device."; });
          });
        });
      });
    }).catch(function () { box.hidden = true; });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setupPush); else setupPush();
})();
