// Place picking (reference/forms.py): a select marked data-places-city lists every city grouped by province; once a
// province is chosen in the select marked data-places-province of the same form, only that province's cities stay.
// Without this script the page works the same, with the whole grouped list. A file of this host (no inline script).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-places-province]").forEach(function (province) {
    var city = province.form && province.form.querySelector("select[data-places-city]");
    if (!city) {
      return;
    }
    var groups = Array.prototype.slice.call(city.querySelectorAll("optgroup"));
    function narrow() {
      var chosen = province.options[province.selectedIndex];
      var label = province.value ? chosen.text : "";
      var selected = city.value;
      groups.forEach(function (group) {
        if (group.parentNode) {
          group.parentNode.removeChild(group);
        }
        if (!label || group.label === label) {
          city.appendChild(group);
        }
      });
      city.value = selected;
      if (city.value !== selected) {
        city.value = "";
      }
    }
    province.addEventListener("change", narrow);
    narrow();
  });
});
