/* The lesson player (templates/courses/_player.html): hls.js where the browser has Media
   Source Extensions, native HLS otherwise (Safari); speed 0.75-2x; resume from data-start-at;
   watched intervals reported to data-progress-url every 5 s and on pause, end and leaving,
   as JSON {lesson_id, intervals: [[start, end], ...], position}. The server merges them. */
(function () {
  "use strict";
  var REPORT_MS = 5000;
  var MAX_INTERVALS = 50;
  // A jump in currentTime bigger than this between two timeupdates is a seek, not playing.
  var MAX_STEP_SECONDS = 3;

  function setUp(box) {
    if (box.dataset.playerReady) return;
    box.dataset.playerReady = "1";
    var video = box.querySelector("video");
    var status = box.querySelector("[data-player-status]");
    var speed = box.querySelector("[data-player-speed]");
    var src = box.dataset.src;
    var startAt = parseFloat(box.dataset.startAt || "0") || 0;
    var lessonId = parseInt(box.dataset.lessonId, 10);
    var progressUrl = box.dataset.progressUrl;
    var pending = [];
    var current = null;
    var last = null;
    var resumed = false;

    function say(text) { if (status) status.textContent = text; }

    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({ capLevelToPlayerSize: true, startPosition: startAt > 0 ? startAt : -1 });
      hls.on(window.Hls.Events.ERROR, function (event, data) {
        if (!data.fatal) return;
        if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR) {
          say("The connection dropped; trying again…");
          hls.startLoad();
        } else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) {
          hls.recoverMediaError();
        } else {
          say("This video cannot be played here.");
          hls.destroy();
        }
      });
      hls.loadSource(src);
      hls.attachMedia(video);
      resumed = true;
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = src;
    } else {
      say("Your browser cannot play this video.");
      return;
    }
    video.addEventListener("loadedmetadata", function () {
      if (!resumed && startAt > 0 && startAt < (video.duration || Infinity) - 1) {
        video.currentTime = startAt;
      }
      resumed = true;
    });

    if (speed) {
      speed.addEventListener("change", function () {
        var rate = parseFloat(speed.value);
        if (rate >= 0.75 && rate <= 2) video.playbackRate = rate;
      });
    }

    function close() {
      if (current && current[1] > current[0]) pending.push([current[0], current[1]]);
      current = null;
    }

    video.addEventListener("timeupdate", function () {
      var now = video.currentTime;
      if (video.paused || video.seeking) { last = now; return; }
      if (last !== null && now > last && now - last <= MAX_STEP_SECONDS * (video.playbackRate || 1)) {
        if (!current) current = [last, now];
        else current[1] = now;
      } else if (last !== null) {
        close();
      }
      last = now;
    });
    video.addEventListener("seeking", function () { close(); last = video.currentTime; });

    function round(value) { return Math.round(value * 10) / 10; }

    function report(leaving) {
      if (!progressUrl) return;
      if (current) { pending.push([current[0], current[1]]); current = [current[1], current[1]]; }
      var intervals = pending.filter(function (pair) { return pair[1] > pair[0]; })
        .slice(-MAX_INTERVALS).map(function (pair) { return [round(pair[0]), round(pair[1])]; });
      pending = [];
      if (!intervals.length && !leaving) return;
      var body = JSON.stringify({ lesson_id: lessonId, intervals: intervals, position: round(video.currentTime || 0) });
      try {
        fetch(progressUrl, {
          method: "POST",
          credentials: "same-origin",
          keepalive: !!leaving,
          headers: { "Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf || "" },
          body: body
        }).catch(function () {});
      } catch (error) { /* the next report carries on */ }
    }

    setInterval(function () { if (!video.paused) report(false); }, REPORT_MS);
    video.addEventListener("pause", function () { close(); report(false); });
    video.addEventListener("ended", function () { close(); report(false); });
    window.addEventListener("pagehide", function () { close(); report(true); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { close(); report(true); }
    });
  }

  function setUpAll(root) {
    (root || document).querySelectorAll("[data-course-player]").forEach(setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { setUpAll(); });
  else setUpAll();
  document.addEventListener("htmx:afterSwap", function (event) { setUpAll(event.target); });
})();
