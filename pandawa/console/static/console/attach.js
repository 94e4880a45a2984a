/* The attachment form: a file over its type's limit is refused here, before minutes of
 * uploading on a slow line end in the same refusal from the server (which checks the bytes'
 * real type and size again). No inline script: CSP script-src 'self'. */
(function () {
  "use strict";
  var form = document.getElementById("attach-form");
  if (!form || !window.File) { return; }
  var input = document.getElementById("attach-file");
  var error = document.getElementById("attach-error");
  form.addEventListener("submit", function (event) {
    var file = input.files && input.files[0];
    if (!file) { return; }
    var isPdf = file.type === "application/pdf" || /\.pdf$/i.test(file.name);
    var limit = Number(form.getAttribute(isPdf ? "data-max-pdf" : "data-max-image"));
    if (limit && file.size > limit) {
      event.preventDefault();
      error.textContent = form.getAttribute("data-too-large");
      error.hidden = false;
    }
  });
  input.addEventListener("change", function () { error.hidden = true; });
})();
