// Canned responses: with JavaScript, the chosen response's text goes straight into the reply
// box; without it, the same form posts and the ticket page shows the text as the reply's draft.
(function () {
  "use strict";

  function insert(textarea, text) {
    var current = textarea.value;
    if (current.trim() === "") {
      textarea.value = text;
    } else {
      var start = textarea.selectionStart;
      var end = textarea.selectionEnd;
      var atCaret = document.activeElement === textarea && typeof start === "number";
      if (atCaret) {
        textarea.value = current.slice(0, start) + text + current.slice(end);
      } else {
        textarea.value = current.replace(/\s+$/, "") + "\n\n" + text;
      }
    }
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-insert-response]")) {
      return;
    }
    var textarea = document.getElementById(form.getAttribute("data-insert-response"));
    if (!textarea || !window.fetch) {
      return; // the plain post does the work
    }
    event.preventDefault();
    var status = document.querySelector("[data-insert-status]");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "fetch", Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        insert(textarea, data.text);
        if (status) {
          status.textContent = form.getAttribute("data-inserted-message") || data.title;
        }
      })
      .catch(function () {
        form.submit(); // fall back on the page's own post
      });
  });
})();
