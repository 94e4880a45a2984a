// Resolve with a question first, and the short way back after it. Everything works without
// this script: the resolve button then gets the confirmation page, the undo button stays
// until the server refuses a late click.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // a button marked data-dialog opens that <dialog> instead of posting its form
    document.querySelectorAll("button[data-dialog]").forEach(function (button) {
      var dialog = document.getElementById(button.getAttribute("data-dialog"));
      if (!dialog || typeof dialog.showModal !== "function") { return; }
      button.addEventListener("click", function (event) {
        event.preventDefault();
        dialog.showModal();
      });
      // back to the button that opened it (Esc, "Batal" or the dialog's own close)
      dialog.addEventListener("close", function () { button.focus(); });
    });
    // the undo offer counts down and gives way to "time is up"
    var offer = document.getElementById("undo-offer");
    if (offer) {
      var left = parseInt(offer.getAttribute("data-seconds"), 10) || 0;
      var shown = document.getElementById("undo-countdown");
      var timer = window.setInterval(function () {
        left -= 1;
        if (left > 0) { shown.textContent = String(left); return; }
        window.clearInterval(timer);
        offer.querySelector("form").hidden = true;
        offer.querySelector(".over").hidden = false;
      }, 1000);
    }
  });
})();
