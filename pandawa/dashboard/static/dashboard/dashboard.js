/* The live board refreshes itself (no inline script: the CSP allows only files from 'self').
 *
 * Every 5 s it fetches the board fragment (GET /dashboard/board, the URL in #board's
 * data-refresh) and swaps it in. Each request is answered from the database, so any web
 * process can answer and nothing is kept per process. When refreshes keep failing (network,
 * server down, signed out) the old figures stay, with the "not updated" notice shown after
 * 30 s: a wall screen must never show stale numbers as if they were live.
 */
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.fetch || !window.DOMParser) { return; }

  var EVERY_MS = 5000;
  var STALE_MS = 30000;
  var url = board.getAttribute("data-refresh");
  var stale = document.getElementById("board-stale");
  var lastGood = Date.now();
  var timer = null;

  function markStale() {
    if (stale) { stale.hidden = Date.now() - lastGood < STALE_MS; }
  }

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (r) {
        // a signed-out session is redirected to the sign-in page: not a board
        if (!r.ok || r.redirected) { throw new Error("no board"); }
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector(".board-body");
        if (!fresh) { throw new Error("no board"); }
        var now = board.querySelector(".board-body");
        if (now) { now.replaceWith(document.importNode(fresh, true)); }
        else { board.appendChild(document.importNode(fresh, true)); }
        lastGood = Date.now();
      })
      .catch(function () { /* keep what is shown; the notice tells its age */ })
      .then(function () {
        markStale();
        timer = setTimeout(refresh, EVERY_MS);
      });
  }

  // a hidden tab refreshes at once when shown again instead of showing old numbers
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      clearTimeout(timer);
      refresh();
    }
  });
  timer = setTimeout(refresh, EVERY_MS);
})();
