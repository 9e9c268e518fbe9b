// viva: a visible timer, drafts kept while you type, Ctrl+Enter to submit. The pages work without it.
(function () {
  "use strict";
  function clock(s) { s = Math.max(0, Math.floor(s)); return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0"); }

  var timer = document.getElementById("timer");
  var elapsed = document.getElementById("elapsed");
  if (timer) {
    var start = Date.now() - parseFloat(timer.dataset.waited || "0") * 1000;
    var budget = parseFloat(timer.dataset.budget || "0");
    var tick = function () {
      var s = (Date.now() - start) / 1000;
      timer.textContent = clock(s);
      if (elapsed) { elapsed.value = s.toFixed(1); }
      if (budget && s > budget) { timer.parentElement.classList.add("over"); }
    };
    tick();
    setInterval(tick, 1000);
  }

  var box = document.getElementById("answer");
  if (box) {
    var key = box.dataset.draftKey;
    var count = document.getElementById("count");
    var show = function () { if (count) { count.textContent = box.value.length.toLocaleString() + " characters"; } };
    try {
      if (key && !box.value && localStorage.getItem(key)) { box.value = localStorage.getItem(key); }
    } catch (e) { /* storage disabled: no drafts */ }
    show();
    box.addEventListener("input", function () {
      show();
      try { if (key) { localStorage.setItem(key, box.value); } } catch (e) { /* ignore */ }
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        box.form.requestSubmit();
      }
    });
    box.form.addEventListener("submit", function (event) {
      var action = event.submitter && event.submitter.getAttribute("formaction");
      if (!action || action.slice(-5) !== "/hint") { try { localStorage.removeItem(key); } catch (e) { /* ignore */ } }
    });
  }
})();
