// Small progressive enhancements; everything works without them (real forms and links).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    // selects marked data-autosubmit submit their form when changed
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.requestSubmit(); });
    });
    // Ctrl+Enter (Cmd+Enter on a Mac) sends the reply
    document.querySelectorAll("textarea[data-ctrl-enter]").forEach(function (area) {
      area.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          area.form.requestSubmit();
        }
      });
    });
    // canned responses insert their text at the cursor of the reply box
    document.querySelectorAll("button[data-canned]").forEach(function (button) {
      button.addEventListener("click", function () {
        var area = document.getElementById(button.dataset.target);
        if (!area) { return; }
        var start = area.selectionStart || 0, end = area.selectionEnd || 0;
        area.value = area.value.slice(0, start) + button.dataset.canned + area.value.slice(end);
        area.focus();
      });
    });
    // "/" from anywhere but a text field: the search box (the search page's own, else the
    // header's), as in mail and chat apps
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) { return; }
      var target = event.target;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
      var box = document.querySelector('[data-search-box="main"]') || document.querySelector("[data-search-box]");
      if (!box) { return; }
      event.preventDefault();
      box.focus();
      box.select();
    });
    // keep the newest message in view
    var list = document.getElementById("conversation");
    if (list) { list.scrollTop = list.scrollHeight; }
  });
})();
