// Filters for the findings table: severity, rule, department and free text, in plain JS.
(function () {
  "use strict";
  var ALL = "__all__";
  // direct rows only: each finding's details hold value tables of their own
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings-table > tbody > tr"));
  var sev = document.getElementById("f-severity");
  var rule = document.getElementById("f-rule");
  var dept = document.getElementById("f-department");
  var text = document.getElementById("f-text");
  var count = document.getElementById("f-count");
  var texts = null; // lower-cased row text, built on the first free-text search only
  function apply() {
    var s = sev.value, r = rule.value, d = dept.value, t = text.value.trim().toLowerCase();
    if (t && texts === null) texts = rows.map(function (tr) { return tr.textContent.toLowerCase(); });
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var ds = rows[i].dataset;
      var ok = (s === ALL || ds.severity === s) && (r === ALL || ds.rule === r) &&
               (d === ALL || ds.department === d) && (!t || texts[i].indexOf(t) >= 0);
      rows[i].hidden = !ok;
      if (ok) shown++;
    }
    count.textContent = shown + " / " + rows.length;
  }
  var timer = null;
  text.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 150); });
  [sev, rule, dept].forEach(function (el) { el.addEventListener("change", apply); });
  // a click on a totals row filters the table by it
  document.querySelectorAll("[data-filter]").forEach(function (el) {
    el.addEventListener("click", function () {
      var spec = el.getAttribute("data-filter"), at = spec.indexOf("|");
      var target = document.getElementById("f-" + spec.slice(0, at));
      target.value = spec.slice(at + 1);
      apply();
      document.getElementById("findings").scrollIntoView();
    });
  });
  document.getElementById("f-reset").addEventListener("click", function () {
    sev.value = rule.value = dept.value = ALL; text.value = ""; apply();
  });
  apply();
})();
