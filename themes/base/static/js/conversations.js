/* Conversations, live: a new message appears without reload (fetched as HTML from the
   server, which already escaped and filtered it), "Seen" when the other side reads, and
   "typing..." while they type. Uses window.SoukLive (souk-live.js) and its DOM events. */
(function () {
  "use strict";

  function csrf() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function onLive(event, handler) {
    document.addEventListener("souk:" + event, function (e) { handler(e.detail || {}); });
  }

  // --- an inbox: reload the list when a message arrives anywhere -----------------------
  var inbox = document.querySelector("[data-inbox]");
  if (inbox) {
    var refreshing = false;
    onLive("chat.message.new", function () {
      if (refreshing) return;
      refreshing = true;
      fetch(window.location.href, { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.querySelector("[data-inbox]");
          if (fresh) inbox.innerHTML = fresh.innerHTML;
        })
        .finally(function () { refreshing = false; });
    });
  }

  // --- one conversation ----------------------------------------------------------------
  var chat = document.querySelector("[data-conversation]");
  if (!chat) return;
  var id = Number(chat.dataset.conversation);
  var me = Number(chat.dataset.me);
  var list = chat.querySelector("#chat-messages");
  var typingLine = chat.querySelector("#chat-typing");
  var compose = chat.querySelector(".chat-compose");
  var fetching = null;
  var again = false;

  function scrollDown() { list.scrollTop = list.scrollHeight; }
  scrollDown();

  function lastId() {
    var items = list.querySelectorAll("[data-message]");
    return items.length ? Number(items[items.length - 1].dataset.message) : 0;
  }

  // When the other side last read (a read receipt can overtake the answer to our own send).
  var seenUntil = 0;

  function markSeen(scope) {
    scope.querySelectorAll(".chat-message.mine").forEach(function (item) {
      var time = item.querySelector("time");
      var receipt = item.querySelector("[data-receipt]");
      if (receipt && time && Date.parse(time.getAttribute("datetime")) <= seenUntil) {
        receipt.textContent = "Seen";
      }
    });
  }

  function append(html) {
    var holder = document.createElement("ol");
    holder.innerHTML = html;
    Array.prototype.slice.call(holder.children).forEach(function (item) {
      var existing = document.getElementById(item.id);
      if (existing) existing.replaceWith(item); else list.appendChild(item);
      if (window.htmx) window.htmx.process(item);
    });
    markSeen(list);
    scrollDown();
  }

  function fetchNew() {
    if (fetching) { again = true; return; }
    var visible = document.visibilityState === "visible";
    var url = chat.dataset.afterUrl + "?id=" + lastId() + (visible ? "&read=1" : "");
    fetching = fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(append)
      .finally(function () {
        fetching = null;
        if (again) { again = false; fetchNew(); }
      });
  }

  function refreshOne(messageId) {
    var url = chat.dataset.messageUrl.replace(/\/0\/$/, "/" + messageId + "/");
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { if (html && document.getElementById("m-" + messageId)) append(html); });
  }

  function markRead() {
    fetch(chat.dataset.readUrl, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf() }
    });
  }

  onLive("chat.message.new", function (data) {
    if (Number(data.conversation_id) !== id) return;
    if (document.getElementById("m-" + data.id)) return;
    fetchNew();
  });
  onLive("chat.message.changed", function (data) {
    if (Number(data.conversation_id) === id) refreshOne(data.id);
  });
  onLive("chat.message.read", function (data) {
    if (Number(data.conversation_id) !== id || Number(data.reader_id) === me) return;
    seenUntil = Math.max(seenUntil, Date.parse(data.read_at) || 0);
    markSeen(list);
  });
  var typingTimer = null;
  onLive("chat.typing", function (data) {
    if (Number(data.id) !== id || Number(data.user_id) === me) return;
    typingLine.textContent = (data.user_name || "Someone") + " is typing\u2026";
    typingLine.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingLine.hidden = true; }, 4000);
  });
  onLive("chat.status.change", function (data) {
    if (Number(data.conversation_id) === id) window.location.reload();
  });
  // After a reconnect, catch up on what was said meanwhile.
  var opened = false;
  onLive("live.open", function () {
    if (opened) fetchNew();
    opened = true;
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") markRead();
  });

  if (compose) {
    var text = compose.querySelector("textarea");
    var lastTyping = 0;
    text.addEventListener("input", function () {
      var now = Date.now();
      if (window.SoukLive && now - lastTyping > 2500) {
        lastTyping = now;
        window.SoukLive.send("conversation", id, "chat.typing", {});
      }
    });
    text.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        if (text.value.trim() || compose.querySelector("input[type=file]").value) {
          compose.requestSubmit();
        }
      }
    });
    var file = compose.querySelector("input[type=file]");
    file.addEventListener("change", function () { compose.classList.toggle("has-file", !!file.value); });
    // The form posts with htmx (hx-swap="none"): a sent message is appended here, once,
    // even when its live event came first; an error is swapped into #chat-error by htmx.
    compose.addEventListener("htmx:afterRequest", function (e) {
      var xhr = e.detail.xhr;
      if (e.detail.successful && !xhr.getResponseHeader("HX-Retarget")) {
        append(xhr.responseText);
        compose.reset();
        chat.querySelector("#chat-error").innerHTML = "";
      }
      compose.classList.toggle("has-file", !!file.value);
    });
  }

  function subscribe() {
    if (window.SoukLive) window.SoukLive.subscribe("conversation", id);
  }
  if (window.SoukLive) subscribe(); else window.addEventListener("load", subscribe);
})();
