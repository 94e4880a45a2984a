/* SLA alerts on the board (issue 17). The board's own script swaps the fragment every 5 s;
 * this one watches #board for the swap and compares the alert ids in #sla-alerts' data-ids
 * with those the page has already shown. A new id flashes the panel (a CSS animation; the
 * page keeps count in <body data-sla-new-alerts>) and, once the supervisor has allowed sound
 * with a click (browsers refuse audio before any gesture), beeps twice through the Web Audio
 * API: nothing is fetched. No inline script: the CSP allows only files from 'self'.
 */
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) { return; }

  var seen = {};
  var audio = null;
  var flashes = 0;

  function ids(panel) {
    var raw = (panel && panel.getAttribute("data-ids")) || "";
    return raw.split(" ").filter(function (s) { return s !== ""; });
  }

  function beep() {
    if (!audio || audio.state !== "running") { return; }
    [0, 0.35].forEach(function (offset) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, audio.currentTime + offset);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + offset + 0.25);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(audio.currentTime + offset);
      osc.stop(audio.currentTime + offset + 0.3);
    });
  }

  function check(first) {
    var panel = document.getElementById("sla-alerts");
    if (!panel) { return; }
    var fresh = ids(panel).filter(function (id) { return !seen[id]; });
    fresh.forEach(function (id) { seen[id] = true; });
    if (first || fresh.length === 0) { return; }
    flashes += fresh.length;
    document.body.setAttribute("data-sla-new-alerts", String(flashes));
    panel.classList.add("flash");
    setTimeout(function () { panel.classList.remove("flash"); }, 3000);
    beep();
  }

  function enableSound(button) {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    audio = audio || new Ctx();
    audio.resume().then(function () {
      button.textContent = button.getAttribute("data-on");
      button.setAttribute("aria-pressed", "true");
    });
  }

  var button = document.getElementById("sla-sound");
  if (button) {
    button.hidden = false;
    button.addEventListener("click", function () { enableSound(button); });
  }

  check(true);
  new MutationObserver(function () { check(false); }).observe(board, { childList: true });
})();
