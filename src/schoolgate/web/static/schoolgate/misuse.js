// Shows, under the "kind of misuse" list, the actions the school's sanctions matrix expects for the
// kind chosen. The page works without it: the incident's record lists them too.
(function () {
  "use strict";
  var data = document.getElementById("misuse-expected");
  var select = document.getElementById("id_misuse");
  var out = document.getElementById("misuse-actions");
  if (!data || !select || !out) { return; }
  var expected = JSON.parse(data.textContent);
  function show() {
    var actions = expected[select.value] || [];
    out.textContent = "";
    if (!actions.length) { out.hidden = true; return; }
    var title = document.createElement("p");
    title.textContent = "The policy expects:";
    var list = document.createElement("ul");
    actions.forEach(function (name) {
      var item = document.createElement("li");
      item.textContent = name;
      list.appendChild(item);
    });
    out.appendChild(title);
    out.appendChild(list);
    out.hidden = false;
  }
  select.addEventListener("change", show);
  show();
})();
