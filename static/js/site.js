// The site's only script: a select marked data-autosubmit (the language menu) submits its form when changed, and
// on a phone the header's menu button shows and hides the navigation (without this script the navigation stays
// shown: the page's "no-js" class). A file of this host, so that the Content Security Policy allows no inline script.
document.documentElement.classList.remove("no-js");
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".nav-toggle").forEach(function (toggle) {
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });
  // Panels marked data-fold-on-phone (the list pages' filters beyond the search, "save this search") start folded on
  // a narrow screen, so that the results come first; one holding an error (data-keep-open) stays open.
  if (window.matchMedia("(max-width: 800px)").matches) {
    document.querySelectorAll("details[data-fold-on-phone]:not([data-keep-open])").forEach(function (panel) {
      panel.open = false;
    });
  }
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
});
