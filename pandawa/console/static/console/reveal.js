/* The ticket page's deliberate acts on personal data (no inline script: CSP script-src 'self').
 *
 * "Tampilkan / Show" (button.reveal[data-reveal][data-target]) posts the field to the page's
 * data-reveal-url with the page's CSRF token; the server checks the role and the ticket, records
 * the reveal and answers {"value": ...}, put in place as text (never as HTML).
 *
 * A citizen's photo or PDF (a.document.closed) stays a blurred placeholder until clicked; a photo
 * then opens in place (its fetch is the audited opening), a PDF downloads by its link.
 * Listeners sit on the document, so bubbles added by live.js work the same.
 */
(function () {
  "use strict";
  if (!window.fetch || !document.querySelector) { return; }
  var page = document.querySelector("main[data-reveal-url]");
  if (!page) { return; }

  function reveal(button) {
    var target = document.getElementById(button.getAttribute("data-target"));
    if (!target || button.disabled) { return; }
    button.disabled = true;
    var body = new URLSearchParams();
    body.set("field", button.getAttribute("data-reveal"));
    fetch(page.getAttribute("data-reveal-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": page.getAttribute("data-csrf") },
      body: body
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      target.textContent = data.value;
      target.classList.add("revealed");
      button.hidden = true;
    }).catch(function () {
      button.disabled = false;
      button.textContent = page.getAttribute("data-reveal-failed") || "!";
    });
  }

  function openDocument(link, event) {
    if (link.getAttribute("data-document") !== "image") { return; }  // a PDF: the link downloads
    event.preventDefault();
    var img = document.createElement("img");
    img.className = "media";
    img.alt = link.textContent.trim();
    img.src = link.getAttribute("href");
    link.classList.remove("closed");
    link.textContent = "";
    link.appendChild(img);
    link.removeAttribute("data-document");  // a second click opens the file in a new tab
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.reveal[data-reveal]");
    if (button) { reveal(button); return; }
    var link = event.target.closest && event.target.closest("a.document.closed[data-document]");
    if (link) { openDocument(link, event); }
  });
})();
