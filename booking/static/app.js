// Small enhancements; every page works without them.
// 1. After a failed submit, focus moves to the error summary (it also has autofocus).
// 2. Copy buttons beside feed addresses (hidden until this script shows them).
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary && document.activeElement !== summary) {
    summary.focus();
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var done = document.getElementById(button.getAttribute("data-copy") + "-copied");
    if (!field || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (done) {
          done.hidden = false;
        }
      }, function () {
        field.select();
      });
    });
  });
}());
