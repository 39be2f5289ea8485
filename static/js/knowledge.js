// Progressive enhancement only: "Report a problem" and the ticket page work without this file.
(function () {
  "use strict";

  // "Report a problem": up to five articles for the subject as it is typed, asked for after
  // a pause in typing so that a slow link is not flooded.
  function suggestWhileTyping() {
    var box = document.querySelector(".intake-help[data-suggest-url]");
    var subject = document.getElementById("id_subject");
    var region = document.getElementById("intake-suggestions");
    if (!box || !subject || !region) {
      return;
    }
    var step = box.querySelector(".check-help-first");
    if (step) {
      step.hidden = true;
    }
    var timer = null;
    var asked = "";
    var controller = null;
    function ask() {
      var words = subject.value.trim();
      if (words === asked) {
        return;
      }
      asked = words;
      if (words.length < 3) {
        region.innerHTML = "";
        return;
      }
      if (controller) {
        controller.abort();
      }
      controller = window.AbortController ? new AbortController() : null;
      var url = box.getAttribute("data-suggest-url") + "?subject=" + encodeURIComponent(words);
      fetch(url, {
        headers: { "HX-Request": "true" },
        credentials: "same-origin",
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          return response.ok ? response.text() : "";
        })
        .then(function (html) {
          if (subject.value.trim() === words) {
            // The server's own rendering of its own template: escaped there.
            region.innerHTML = html;
          }
        })
        .catch(function () {});
    }
    subject.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 300);
    });
    ask();
  }

  // The ticket page: "Insert in reply" puts an article's Markdown link into the reply box.
  function insertArticleLinks() {
    var body = document.getElementById("id_body");
    var buttons = document.querySelectorAll("[data-insert-article]");
    Array.prototype.forEach.call(buttons, function (button) {
      if (!body) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        var link = button.getAttribute("data-insert-article");
        var start = body.selectionStart || body.value.length;
        var before = body.value.slice(0, start);
        var spacer = before && !/\s$/.test(before) ? " " : "";
        body.value = before + spacer + link + body.value.slice(body.selectionEnd || start);
        body.focus();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    suggestWhileTyping();
    insertArticleLinks();
  });
})();
