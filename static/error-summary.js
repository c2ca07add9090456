// After a failed submit, move focus to the error summary so it is read out first.
// The summary has `autofocus` for browsers without script; this covers browsers that ignore
// `autofocus` on an element that is not a form control.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary && document.activeElement !== summary) summary.focus();
})();
