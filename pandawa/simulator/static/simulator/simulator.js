// Simulator WhatsApp Warga: plays a citizen's phone against Pandawa.
// Every piece of message text is put on the page with textContent, never as HTML.
(function () {
  "use strict";

  var POLL_MS = 1000;
  var RETRY_MS = 3000;
  var PENDING = ["pending", "sending", "accepted", "queued"];
  var FAILED = ["failed", "undelivered"];

  var root = document.getElementById("simulator");
  var chat = document.getElementById("chat");
  var empty = document.getElementById("empty");
  var errorBox = document.getElementById("error");
  var identity = document.getElementById("identity");
  var composer = document.getElementById("composer");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var url = root.getAttribute("data-messages-url");
  var dayFormat = dayFormatter(root.getAttribute("data-timezone"));

  var state = {
    generation: 0, lastId: 0, lastDay: null, bubbles: {}, timer: null, inflight: false,
    again: false,
  };

  function dayFormatter(timeZone) {
    try {
      return new Intl.DateTimeFormat("id-ID", {
        weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: timeZone,
      });
    } catch (e) {
      return null;
    }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // WhatsApp's own markup: *bold*, _italic_, ~strike~; built as elements, so it stays text
  var MARKUP = /(\*[^*\n]+\*|_[^_\n]+_|~[^~\n]+~)/;
  var TAGS = { "*": "strong", "_": "em", "~": "s" };

  function formatted(text) {
    var fragment = document.createDocumentFragment();
    // split() with a capturing group puts the marked-up pieces at the odd indexes
    text.split(MARKUP).forEach(function (part, index) {
      if (index % 2 === 1) {
        fragment.appendChild(el(TAGS[part[0]], null, part.slice(1, -1)));
      } else if (part) {
        fragment.appendChild(document.createTextNode(part));
      }
    });
    return fragment;
  }

  function ticks(item) {
    var mark = el("span", "ticks");
    if (item.direction === "in") {
      // received by Pandawa: delivered; handled by the bot: read (blue)
      mark.textContent = "\u2713\u2713";
      mark.classList.toggle("read", item.status === "processed");
      mark.title = item.status === "processed" ? "dibaca / read" : "terkirim / delivered";
    } else if (PENDING.indexOf(item.status) >= 0) {
      mark.textContent = "\u23F1";
      mark.title = "mengirim / sending";
    } else if (FAILED.indexOf(item.status) >= 0) {
      mark.textContent = "\u26A0 gagal";
      mark.classList.add("failed");
      mark.title = "gagal terkirim / not delivered";
    }
    return mark;
  }

  function addDayChip(item) {
    if (!dayFormat) return;
    var day = dayFormat.format(new Date(item.created_at));
    if (day === state.lastDay) return;
    state.lastDay = day;
    chat.appendChild(el("p", "day", day));
  }

  function addBubble(item) {
    addDayChip(item);
    // the citizen's own messages go right (outgoing on their phone); ours come in on the left
    var side = item.direction === "in" ? "mine" : "theirs";
    var bubble = el("div", "bubble " + side);
    bubble.setAttribute("data-id", String(item.id));
    if (item.author === "agent") bubble.appendChild(el("span", "author", "Petugas"));
    var text = el("div", "text");
    if (item.body) {
      text.appendChild(formatted(item.body));
    } else if (item.template) {
      text.textContent = "[templat / template " + item.template + "]";
      text.classList.add("template");
    }
    (item.files || []).forEach(function (name) {
      bubble.appendChild(el("div", "text file", "\uD83D\uDCCE " + name));
    });
    bubble.appendChild(text);
    var meta = el("span", "meta", item.time);
    meta.appendChild(ticks(item));
    bubble.appendChild(meta);
    chat.appendChild(bubble);
    state.bubbles[item.id] = { node: bubble, item: item };
  }

  function updateStatus(id, status) {
    var known = state.bubbles[id];
    if (!known || known.item.status === status) return;
    known.item.status = status;
    var meta = known.node.querySelector(".meta");
    meta.replaceChild(ticks(known.item), meta.querySelector(".ticks"));
  }

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  function citizen() {
    return identity.elements.citizen.value.trim();
  }

  function nearBottom() {
    return chat.scrollHeight - chat.scrollTop - chat.clientHeight < 80;
  }

  function render(data) {
    var stick = nearBottom();
    data.items.forEach(function (item) {
      if (!state.bubbles[item.id]) addBubble(item);
    });
    data.recent.forEach(function (row) { updateStatus(row.id, row.status); });
    state.lastId = Math.max(state.lastId, data.last_id);
    empty.hidden = chat.querySelector(".bubble") !== null;
    if (stick && data.items.length) chat.scrollTop = chat.scrollHeight;
  }

  // One request at a time: a poll asked for while one is out runs as soon as it returns.
  function poll() {
    clearTimeout(state.timer);
    if (state.inflight) {
      state.again = true;
      return;
    }
    state.inflight = true;
    state.again = false;
    var generation = state.generation;
    var delay = POLL_MS;
    var query = "?citizen=" + encodeURIComponent(citizen()) + "&after=" + state.lastId;
    fetch(url + query, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        if (generation !== state.generation) return;
        if (!result.ok) throw new Error(result.data.error ? result.data.error.message : "");
        render(result.data);
        showError("");
      })
      .catch(function (error) {
        if (generation !== state.generation) return;
        showError(error.message || "Tidak terhubung ke server / cannot reach the server");
        delay = RETRY_MS;
      })
      .then(function () {
        state.inflight = false;
        if (state.again || generation !== state.generation) poll();
        else state.timer = setTimeout(poll, delay);
      });
  }

  function restart() {
    state.generation += 1;
    state.lastId = 0;
    state.lastDay = null;
    state.bubbles = {};
    Array.prototype.slice.call(chat.querySelectorAll(".bubble, .day")).forEach(function (node) {
      chat.removeChild(node);
    });
    empty.hidden = false;
    remember();
    poll();
  }

  function remember() {
    try {
      localStorage.setItem("pandawa.simulator.citizen", citizen());
      localStorage.setItem("pandawa.simulator.name", identity.elements.name.value);
    } catch (e) { /* private mode: nothing to keep */ }
  }

  function recall() {
    if (new URLSearchParams(window.location.search).has("citizen")) return;
    try {
      var saved = localStorage.getItem("pandawa.simulator.citizen");
      var name = localStorage.getItem("pandawa.simulator.name");
      if (saved) identity.elements.citizen.value = saved;
      if (name !== null) identity.elements.name.value = name;
    } catch (e) { /* nothing kept */ }
  }

  function send(event) {
    event.preventDefault();
    var field = composer.elements.body;
    var body = field.value;
    if (!body.trim()) return;
    // the phone's clock when the citizen pressed send: the bot handles the citizen's messages
    // in this order even when two requests in flight arrive the other way round
    var payload = {
      citizen: citizen(),
      name: identity.elements.name.value,
      body: body,
      sent_at: new Date().toISOString(),
    };
    if (identity.elements.to) payload.to = identity.elements.to.value;
    composer.classList.add("busy");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(payload),
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            throw new Error(data.error ? data.error.message : "HTTP " + response.status);
          }
          field.value = "";
          grow();
          showError("");
          chat.scrollTop = chat.scrollHeight;
          poll();
        });
      })
      .catch(function (error) { showError(error.message); })
      .then(function () { composer.classList.remove("busy"); field.focus(); });
  }

  function grow() {
    var field = composer.elements.body;
    field.style.height = "auto";
    field.style.height = Math.min(field.scrollHeight, 120) + "px";
  }

  composer.addEventListener("submit", send);
  composer.elements.body.addEventListener("input", grow);
  composer.elements.body.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter starts a new line, as on WhatsApp Web
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) send(event);
  });
  identity.addEventListener("submit", function (event) { event.preventDefault(); restart(); });
  identity.elements.citizen.addEventListener("change", restart);
  identity.elements.name.addEventListener("change", remember);

  recall();
  poll();
})();
