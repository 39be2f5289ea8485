// The agent workspace: keyboard shortcuts, changes without a page reload, and who else has a
// ticket open. Progressive enhancement only: every link and form works without this file.
// Requests made here carry htmx's header (HX-Request), so the server answers them alike.
(function () {
  "use strict";

  var root = document.querySelector("[data-workspace]");
  if (!root || !window.fetch || !window.DOMParser) {
    return;
  }
  var QUEUE_KEY = "govdesk-queue";
  var POLL_MS = 20000;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function parse(html) {
    return new DOMParser().parseFromString(html, "text/html");
  }

  function request(url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({ "HX-Request": "true" }, options.headers || {});
    return fetch(url, options).then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.text().then(function (text) {
        return { url: response.url, doc: parse(text) };
      });
    });
  }

  // -- Swapping a region in place ------------------------------------------------------------

  function focusAfterSwap(region, activeId) {
    var target =
      region.querySelector(".error-summary") ||
      document.querySelector("main .notification-banner") ||
      (activeId && document.getElementById(activeId));
    if (target) {
      if (!target.matches("a, button, input, select, textarea, summary")) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  }

  // After a POST the server redirects to the ticket page: its <main> (messages included)
  // replaces ours, the same page the browser would have loaded.
  function swapMain(result) {
    var incoming = result.doc.querySelector("main");
    var main = document.querySelector("main");
    if (!incoming || !main) {
      window.location.assign(result.url);
      return;
    }
    var activeId = document.activeElement && document.activeElement.id;
    main.innerHTML = incoming.innerHTML;
    document.title = result.doc.title || document.title;
    if (result.url && result.url !== window.location.href) {
      window.history.pushState({}, "", result.url);
    }
    setUp();
    focusAfterSwap(main, activeId);
  }

  function swapRegion(id, result, push) {
    var incoming = result.doc.getElementById(id);
    var current = document.getElementById(id);
    if (!incoming || !current) {
      window.location.assign(result.url);
      return;
    }
    current.replaceWith(incoming);
    if (push) {
      window.history.pushState({ swap: id }, "", result.url);
    }
    rememberQueue();
    var heading = incoming.querySelector("#queue-count");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-enhance") && form.method.toLowerCase() === "post") {
      event.preventDefault();
      var data = new FormData(form, event.submitter || undefined);
      form.setAttribute("aria-busy", "true");
      request(form.action, {
        method: "POST",
        body: data,
        headers: { "X-CSRFToken": csrfToken() },
      })
        .then(swapMain)
        .catch(function () {
          form.removeAttribute("data-enhance");
          form.submit();
        });
    } else if (form.hasAttribute("data-swap") && form.method.toLowerCase() === "get") {
      event.preventDefault();
      var url = new URL(form.action, window.location.href);
      url.search = new URLSearchParams(new FormData(form)).toString();
      navigate(url.href, form.getAttribute("data-swap"));
    }
  });

  function navigate(url, id) {
    request(url)
      .then(function (result) {
        swapRegion(id, result, true);
      })
      .catch(function () {
        window.location.assign(url);
      });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) {
      return;
    }
    var region = document.getElementById("queue-main");
    var url = new URL(link.href, window.location.href);
    // The views, the pages of the list and "Clear filters" stay on the queue: swap the list.
    var swappable =
      link.hasAttribute("data-swap") ||
      (region && region.contains(link) && link.closest(".pagination, .queue-views"));
    if (swappable && url.origin === window.location.origin && url.pathname === window.location.pathname) {
      event.preventDefault();
      navigate(url.href, link.getAttribute("data-swap") || "queue-main");
    }
  });

  window.addEventListener("popstate", function (event) {
    if (event.state && event.state.swap) {
      request(window.location.href)
        .then(function (result) {
          swapRegion(event.state.swap, result, false);
        })
        .catch(function () {
          window.location.reload();
        });
    } else {
      window.location.reload();
    }
  });

  // -- The queue: remember its order for "next ticket" ----------------------------------------

  function queueRows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-queue-list] tr[data-ticket]"));
  }

  function rememberQueue() {
    var rows = queueRows();
    if (!rows.length) {
      return;
    }
    try {
      window.sessionStorage.setItem(
        QUEUE_KEY,
        JSON.stringify({
          url: window.location.href,
          refs: rows.map(function (row) {
            return row.getAttribute("data-ticket");
          }),
        })
      );
    } catch (error) {
      // Storage refused (a private window): "next ticket" goes back to the queue instead.
    }
  }

  function rememberedQueue() {
    try {
      return JSON.parse(window.sessionStorage.getItem(QUEUE_KEY) || "null");
    } catch (error) {
      return null;
    }
  }

  var currentRow = -1;

  function moveInQueue(step) {
    var rows = queueRows();
    if (!rows.length) {
      return;
    }
    if (currentRow >= 0 && rows[currentRow]) {
      rows[currentRow].classList.remove("is-current");
    }
    currentRow = Math.max(0, Math.min(rows.length - 1, currentRow + step));
    var row = rows[currentRow];
    row.classList.add("is-current");
    var link = row.querySelector("th a");
    if (link) {
      link.focus();
    }
  }

  function currentQueueRow() {
    var rows = queueRows();
    var focused = document.activeElement && document.activeElement.closest("tr[data-ticket]");
    return focused || rows[currentRow] || null;
  }

  // -- The ticket page ------------------------------------------------------------------------

  function writeMessage(internal) {
    var body = document.getElementById("reply_body");
    if (!body) {
      return;
    }
    var note = document.getElementById("reply_internal");
    if (note) {
      note.checked = internal;
    }
    body.focus();
  }

  function openNeighbour(step) {
    var reference = root.getAttribute("data-reference");
    var remembered = rememberedQueue();
    var refs = (remembered && remembered.refs) || [];
    var index = refs.indexOf(reference);
    var next = index >= 0 ? refs[index + step] : null;
    if (next) {
      window.location.assign("/tickets/" + encodeURIComponent(next) + "/");
    } else {
      window.location.assign((remembered && remembered.url) || "/queue/");
    }
  }

  function click(selector) {
    var element = document.querySelector(selector);
    if (element) {
      element.click();
    }
  }

  // -- Shortcuts ------------------------------------------------------------------------------

  function shortcutsDialog() {
    var dialog = document.getElementById("shortcuts-dialog");
    if (dialog && typeof dialog.showModal === "function" && !dialog.open) {
      var hint = dialog.querySelector("[data-shortcuts-off-hint]");
      if (hint) {
        hint.hidden = root.getAttribute("data-shortcuts") !== "off";
      }
      dialog.showModal();
    }
  }

  var actions = {
    KeyJ: function () { moveInQueue(1); },
    KeyK: function () { moveInQueue(-1); },
    KeyO: function () {
      var row = currentQueueRow();
      var link = row && row.querySelector("th a");
      if (link) {
        window.location.assign(link.href);
      }
    },
    KeyX: function () {
      var row = currentQueueRow();
      var box = row && row.querySelector("input[type=checkbox]");
      if (box) {
        box.checked = !box.checked;
      }
    },
    KeyR: function () { writeMessage(false); },
    KeyN: function () { writeMessage(true); },
    KeyA: function () { click("[data-shortcut-take]"); },
    KeyU: function () { click("[data-shortcut-queue]"); },
    BracketRight: function () { openNeighbour(1); },
    BracketLeft: function () { openNeighbour(-1); },
    Slash: function (event) {
      if (event.key === "?" || event.altKey) {
        shortcutsDialog();
        return true;
      }
      return false;
    },
  };

  function typing(element) {
    return (
      element &&
      (element.isContentEditable ||
        /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName) ||
        element.closest("dialog[open]"))
    );
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || typing(event.target)) {
      return;
    }
    var action = actions[event.code];
    if (!action) {
      return;
    }
    // WCAG 2.1.4: with single-key shortcuts off, each needs Alt and Shift as well.
    var singleKeysOn = root.getAttribute("data-shortcuts") !== "off";
    var withModifiers = event.altKey && event.shiftKey;
    var singleKey = !event.altKey && (!event.shiftKey || event.code === "Slash");
    if (!withModifiers && !(singleKeysOn && singleKey)) {
      return;
    }
    if (action(event) !== false) {
      event.preventDefault();
    }
  });

  // -- Who else has the ticket open -----------------------------------------------------------

  var replyingSince = 0;
  var pollTimer = null;

  function beat() {
    var url = root.getAttribute("data-presence-url");
    if (!url || document.hidden) {
      return;
    }
    var replying = Date.now() - replyingSince < POLL_MS * 3;
    var data = new FormData();
    data.append("state", replying ? "replying" : "viewing");
    request(url, { method: "POST", body: data, headers: { "X-CSRFToken": csrfToken() } })
      .then(function (result) {
        var incoming = result.doc.getElementById("presence");
        var current = document.getElementById("presence");
        if (incoming && current && incoming.innerHTML !== current.innerHTML) {
          current.innerHTML = incoming.innerHTML;
        }
      })
      .catch(function () {
        // Presence is a hint: a missed beat is made up by the next one.
      });
  }

  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "reply_body") {
      var first = replyingSince === 0 || Date.now() - replyingSince > POLL_MS * 3;
      replyingSince = Date.now();
      if (first) {
        beat();
      }
    }
  });

  function setUp() {
    root = document.querySelector("[data-workspace]") || root;
    rememberQueue();
    currentRow = -1;
    if (root.getAttribute("data-presence-url") && pollTimer === null) {
      beat();
      pollTimer = window.setInterval(beat, POLL_MS);
      document.addEventListener("visibilitychange", function () {
        if (!document.hidden) {
          beat();
        }
      });
    }
  }

  setUp();
})();
