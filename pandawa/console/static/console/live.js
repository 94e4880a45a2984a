/* Live updates of the console (no inline script: CSP script-src 'self').
 *
 * Listens to GET /console/events (server-sent events). When the stream cannot be used
 * (refused — 503 when the server's stream slots are all taken —, failing, or no EventSource),
 * polls GET /console/events/poll?after=<cursor> every 5 s with the same cursor, and tries the
 * stream again every 2 minutes or so (from the poll's cursor); polling stops once it opens.
 * Events carry identifiers only; content is fetched with the user's own rights:
 *   message → new bubbles of the ticket shown (#conversation[data-ticket]);
 *   status  → ticks of li[data-message-id] (data-status);
 *   ticket  → the work list (#work) is refreshed from /console.
 * A new citizen message on a ticket the user holds adds "(n) " to the title and plays a ping.
 * The header's #live-state says which of the two is in use ("Langsung" / "Memuat ulang berkala").
 * Every failure is quiet: the page keeps working as a normal page.
 */
(function () {
  "use strict";
  if (!window.fetch || !document.querySelector) { return; }

  var POLL_MS = 5000;
  var RETRY_STREAM_MS = 120000;  // ± a quarter, so refused consoles do not all come back at once
  var FAILS_BEFORE_POLL = 3;
  var base = "/console";
  var cursor = null;
  var polling = false;
  var pollTimer = null;
  var retryTimer = null;
  var source = null;
  var streamFails = 0;
  var unseen = 0;
  var baseTitle = document.title;
  var listTimer = null;
  var lastListAt = 0;
  var LIST_DELAY_MS = 300;
  var LIST_MIN_GAP_MS = 2000;
  var ping = null;

  // the header's indicator: "live" while the stream is open, "polling" while polling; shown
  // on the pages whose content the events change (the work list, a ticket's conversation)
  function showState(state) {
    var el = document.getElementById("live-state");
    if (!el || !(document.getElementById("work") || conversation())) { return; }
    el.setAttribute("data-state", state);
    el.textContent = el.getAttribute("data-" + state) || state;
    el.setAttribute("title", el.getAttribute("data-" + state + "-title") || "");
    el.hidden = false;
  }

  function userId() {
    var el = document.querySelector("[data-user-id]");
    return el ? el.getAttribute("data-user-id") : null;
  }

  function conversation() { return document.getElementById("conversation"); }

  function holds(ev) {
    var me = userId();
    if (me && ev.assignee != null) { return String(ev.assignee) === me; }
    var row = document.querySelector('tr.mine[data-ticket="' + cssEscape(ev.ticket) + '"]');
    var conv = conversation();
    return !!row || !!(conv && conv.getAttribute("data-ticket") === ev.ticket &&
                       document.getElementById("reply"));
  }

  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(String(value)) : String(value).replace(/["\\]/g, "");
  }

  function lastMessageId(conv) {
    var items = conv.querySelectorAll("li[data-message-id]");
    var last = 0;
    for (var i = 0; i < items.length; i++) {
      var id = parseInt(items[i].getAttribute("data-message-id"), 10);
      if (id > last) { last = id; }
    }
    return last;
  }

  function fetchBubbles(number) {
    var conv = conversation();
    if (!conv || conv.getAttribute("data-ticket") !== number) { return; }
    var url = base + "/tickets/" + encodeURIComponent(number) + "/messages?after=" + lastMessageId(conv);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (!html.trim()) { return; }
        var tpl = document.createElement("template");
        tpl.innerHTML = html;  // server-rendered and escaped; scripts in a template never run
        var empty = conv.querySelector("li.empty");
        if (empty) { empty.remove(); }
        var items = tpl.content.querySelectorAll("li[data-message-id]");
        for (var i = 0; i < items.length; i++) {
          var id = items[i].getAttribute("data-message-id");
          if (!conv.querySelector('li[data-message-id="' + cssEscape(id) + '"]')) {
            conv.appendChild(items[i]);
          }
        }
        var last = conv.lastElementChild;
        if (last && last.scrollIntoView) { last.scrollIntoView({ block: "end" }); }
      })
      .catch(function () {});
  }

  // the same table as console/_ticks.html
  var GLYPHS = {
    pending: "\uD83D\uDD53", sending: "\uD83D\uDD53", accepted: "\u2713", queued: "\u2713",
    sent: "\u2713", delivered: "\u2713\u2713", read: "\u2713\u2713", failed: "\u2717",
    undelivered: "\u2717"
  };

  function updateTicks(ev) {
    var li = document.querySelector('li[data-message-id="' + cssEscape(ev.message_id) + '"]');
    if (!li || !ev.status) { return; }
    li.setAttribute("data-status", ev.status);
    var ticks = li.querySelector(".ticks");
    if (ticks) {
      ticks.className = "ticks ticks-" + ev.status;
      ticks.setAttribute("aria-label", ev.status);
      ticks.setAttribute("title", ev.status);
      if (GLYPHS.hasOwnProperty(ev.status)) { ticks.textContent = GLYPHS[ev.status]; }
    }
  }

  // A ticket event refreshes the list 300 ms later; every event until then rides on that
  // refresh, and while events keep coming (the weekend's tickets released at opening) the
  // list is fetched at most every 2 s: each fetch renders the work view on the server.
  function refreshList() {
    var work = document.getElementById("work");
    if (!work || listTimer) { return; }
    var wait = Math.max(LIST_DELAY_MS, lastListAt + LIST_MIN_GAP_MS - Date.now());
    listTimer = setTimeout(function () {
      listTimer = null;
      lastListAt = Date.now();
      fetch(base, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          if (!html) { return; }
          var doc = new DOMParser().parseFromString(html, "text/html");
          var parts = ["#ticket-list", '[aria-labelledby="tickets-title"]', ".queues"];
          parts.forEach(function (selector) {
            var now = document.querySelector(selector);
            var fresh = doc.querySelector(selector);
            if (now && fresh && !now.contains(document.activeElement)) {
              now.replaceWith(document.importNode(fresh, true));
            }
          });
        })
        .catch(function () {});
    }, wait);
  }

  function notify() {
    unseen += 1;
    document.title = "(" + unseen + ") " + baseTitle;
    try {
      if (!ping) { ping = new Audio(base + "/static/console/ping.wav"); }
      var played = ping.play();
      if (played && played.catch) { played.catch(function () {}); }  // autoplay refused
    } catch (e) { /* no sound: the badge is enough */ }
  }

  function clearBadge() {
    if (document.visibilityState === "visible" && unseen) {
      unseen = 0;
      document.title = baseTitle;
    }
  }

  function handle(ev) {
    if (!ev || !ev.type) { return; }
    if (ev.type === "message") {
      fetchBubbles(ev.ticket);
      if (ev.direction === "in" && holds(ev)) { notify(); }
    } else if (ev.type === "status") {
      updateTicks(ev);
    } else if (ev.type === "ticket") {
      refreshList();
    }
  }

  function onEvent(e) {
    streamFails = 0;
    if (e.lastEventId) { cursor = e.lastEventId; }
    try { handle(JSON.parse(e.data)); } catch (err) { /* a malformed event is skipped */ }
  }

  function startStream() {
    if (!window.EventSource) { startPolling(); return; }
    // from where polling got to (a reconnect of this source sends Last-Event-ID, which wins)
    var after = cursor ? "?after=" + encodeURIComponent(cursor) : "";
    source = new EventSource(base + "/events" + after);
    ["message", "status", "ticket"].forEach(function (type) {
      source.addEventListener(type, onEvent);
    });
    source.addEventListener("open", function () {
      streamFails = 0;
      stopPolling();
      showState("live");
    });
    source.addEventListener("error", function () {
      streamFails += 1;
      // CLOSED: the server refused (401/503) and the browser will not retry by itself
      if (source.readyState === EventSource.CLOSED || streamFails >= FAILS_BEFORE_POLL) {
        source.close();
        source = null;
        startPolling();
        retryStreamLater();
      }
    });
  }

  function retryStreamLater() {
    if (retryTimer) { return; }
    var delay = RETRY_STREAM_MS * (0.75 + Math.random() * 0.5);
    retryTimer = setTimeout(function () {
      retryTimer = null;
      if (polling && !source) { streamFails = 0; startStream(); }  // polling goes on until "open"
    }, delay);
  }

  function stopPolling() {
    polling = false;
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
  }

  function startPolling() {
    showState("polling");
    if (polling) { return; }
    polling = true;
    pollOnce();
  }

  function nextPoll() {
    pollTimer = polling ? setTimeout(pollOnce, POLL_MS) : null;
  }

  function pollOnce() {
    var url = base + "/events/poll" + (cursor ? "?after=" + encodeURIComponent(cursor) : "");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.status === 401) { throw new Error("signed out"); }
        if (r.status === 400) { cursor = null; }  // a stale cursor: start again from now
        return r.ok ? r.json() : null;
      })
      .then(function (body) {
        if (!polling) { return; }  // the stream opened meanwhile (from an earlier cursor)
        if (body) {
          cursor = body.cursor || cursor;
          (body.events || []).forEach(handle);
        }
        nextPoll();
      })
      .catch(function (err) {
        if (err && err.message === "signed out") {
          stopPolling();
          clearTimeout(retryTimer);
          retryTimer = null;
          return;
        }
        nextPoll();
      });
  }

  document.addEventListener("visibilitychange", clearBadge);
  window.addEventListener("focus", clearBadge);
  startStream();
})();
