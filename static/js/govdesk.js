// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to a form's error summary so screen reader users hear what went wrong first.
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
});
