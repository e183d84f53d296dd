// The site's only script: a select marked data-autosubmit (the language menu) submits its form when changed.
// A file of this host, so that the Content Security Policy allows no inline script.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
});
