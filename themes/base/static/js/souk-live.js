/* Souk live: the page's one WebSocket to this marketplace (/ws/), no framework.
 *
 *   SoukLive.on("chat.message.new", function (data) { ... });
 *   SoukLive.subscribe("conversation", 12);      // the server checks you may follow it
 *   SoukLive.unsubscribe("conversation", 12);
 *   SoukLive.send("conversation", 12, "chat.typing", {});
 *
 * Every server event is also a DOM event on document: CustomEvent("souk:" + type,
 * {detail: data}), so htmx can listen with hx-trigger="souk:chat.message.new from:document".
 * Frames without data ("subscribed", "error") carry the frame itself as detail.
 *
 * It connects once the page has loaded: a single-use ticket from POST /api/v1/realtime/tickets
 * (session cookie + CSRF header), then ws(s)://<this host>/ws/?ticket=... . A dropped socket is
 * reopened with a fresh ticket after a growing, jittered delay (1 s ... 30 s), and every topic
 * is subscribed again. A visitor who is not signed in (401/403) is left alone. */
(function () {
  "use strict";
  if (window.SoukLive) return;

  var TICKETS = "/api/v1/realtime/tickets";
  var PING_MS = 25000;
  var MAX_DELAY_MS = 30000;

  var handlers = {};
  var topics = {};
  var pending = [];
  var socket = null;
  var connecting = false;
  var attempts = 0;
  var retryTimer = null;
  var pingTimer = null;
  var stopped = false;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function dispatch(type, detail) {
    (handlers[type] || []).slice().forEach(function (fn) {
      try { fn(detail, type); } catch (error) { console.error(error); }
    });
    document.dispatchEvent(new CustomEvent("souk:" + type, { detail: detail }));
  }

  function key(topic, id) { return topic + ":" + id; }

  function write(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return;
    }
    if (stopped) return;
    if (pending.length < 50) pending.push(frame);
    connect();
  }

  function retry() {
    if (stopped || retryTimer) return;
    var delay = Math.min(MAX_DELAY_MS, 1000 * Math.pow(2, attempts));
    attempts += 1;
    retryTimer = setTimeout(function () {
      retryTimer = null;
      connect();
    }, delay * (0.5 + Math.random() / 2));
  }

  function open(ticket) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + ticket.url);
    socket = ws;
    ws.onopen = function () {
      connecting = false;
      attempts = 0;
      Object.keys(topics).forEach(function (name) {
        ws.send(JSON.stringify({ type: "subscribe", topic: topics[name].topic, id: topics[name].id }));
      });
      pending.splice(0).forEach(function (frame) {
        // Subscriptions were just sent for every followed topic.
        if (frame.type !== "subscribe") ws.send(JSON.stringify(frame));
      });
      pingTimer = setInterval(function () { write({ type: "ping" }); }, PING_MS);
      dispatch("live.open", {});
    };
    ws.onmessage = function (message) {
      var frame;
      try { frame = JSON.parse(message.data); } catch (error) { return; }
      if (!frame || typeof frame.type !== "string" || frame.type === "pong") return;
      if (frame.type === "error" && frame.code === "signed_out") stopped = true;
      dispatch(frame.type, "data" in frame ? frame.data : frame);
    };
    ws.onclose = function () {
      if (socket === ws) socket = null;
      connecting = false;
      clearInterval(pingTimer);
      dispatch("live.close", {});
      retry();
    };
  }

  function connect() {
    if (stopped || socket || connecting) return;
    connecting = true;
    fetch(TICKETS, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    })
      .then(function (response) {
        if (response.status === 401 || response.status === 403 || response.status === 404) {
          stopped = true; // not signed in here (or no real time on this host)
          throw new Error("no live connection: " + response.status);
        }
        if (!response.ok) throw new Error("ticket: " + response.status);
        return response.json();
      })
      .then(open)
      .catch(function () {
        connecting = false;
        retry();
      });
  }

  window.SoukLive = {
    on: function (type, fn) {
      (handlers[type] = handlers[type] || []).push(fn);
      connect();
      return function off() {
        handlers[type] = (handlers[type] || []).filter(function (other) { return other !== fn; });
      };
    },
    subscribe: function (topic, id) {
      topics[key(topic, id)] = { topic: topic, id: Number(id) };
      write({ type: "subscribe", topic: topic, id: Number(id) });
    },
    unsubscribe: function (topic, id) {
      delete topics[key(topic, id)];
      write({ type: "unsubscribe", topic: topic, id: Number(id) });
    },
    send: function (topic, id, event, data) {
      write({ type: "client_event", topic: topic, id: Number(id), event: event, data: data || {} });
    },
    isConnected: function () { return !!socket && socket.readyState === WebSocket.OPEN; },
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", connect);
  } else {
    connect();
  }
})();
