// The printable pages of events (the per-table meeting schedule): a button marked data-print opens the browser's
// print dialogue. A file of this host, so that the Content Security Policy allows no inline script.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
});
