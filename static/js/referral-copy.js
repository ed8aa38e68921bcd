/* Refer a friend: the "Copy link" button (no inline script: CSP allows 'self' only).
 *
 * The button stays hidden without JavaScript (the link is in a read-only field to select by
 * hand). With it, a click copies the link through the Clipboard API, or, where that is not
 * available (a page served over plain HTTP), by selecting the field and copying.
 */
(function () {
  "use strict";

  function announce(button, text) {
    var status = document.querySelector(".referral-copy-status");
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    button.textContent = text;
    if (status) status.textContent = text;
    window.setTimeout(function () {
      button.textContent = label;
      if (status) status.textContent = "";
    }, 2000);
  }

  function copy(button) {
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    if (!field) return;
    var done = function () { announce(button, button.getAttribute("data-copied-text") || "Copied"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        field.select();
      });
      return;
    }
    field.focus();
    field.select();
    try {
      if (document.execCommand("copy")) done();
    } catch (e) {
      /* the field stays selected: the user copies it by hand */
    }
  }

  function init() {
    var buttons = document.querySelectorAll("button[data-copy-target]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener("click", function (event) { copy(event.currentTarget); });
    }
    var forms = document.querySelectorAll("form[data-referral-copy]");
    for (var j = 0; j < forms.length; j++) {
      forms[j].addEventListener("submit", function (event) { event.preventDefault(); });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
