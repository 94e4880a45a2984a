// The search page from the keyboard: ↓ from the search box goes to the first result, ↑ ↓ move
// between results, Enter opens one (a link), Escape goes back to the box. Tab works as always.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("search-q");
    var results = function () {
      return Array.prototype.slice.call(document.querySelectorAll("#results a[data-result]"));
    };
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) { return; }
      var links = results();
      if (!links.length) { return; }
      var at = links.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && (at >= 0 || document.activeElement === box)) {
        event.preventDefault();
        links[Math.min(at + 1, links.length - 1)].focus();
      } else if (event.key === "ArrowUp" && at >= 0) {
        event.preventDefault();
        if (at === 0 && box) { box.focus(); } else { links[at - 1].focus(); }
      } else if (event.key === "Escape" && at >= 0 && box) {
        event.preventDefault();
        box.focus();
      }
    });
    // after a search, the first result is where the eyes go: focus it (Enter opens it)
    var links = results();
    if (links.length && box && !box.hasAttribute("autofocus") && !document.getElementById("search-error")) {
      links[0].focus();
    }
  });
})();
