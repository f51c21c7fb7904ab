// Training pages: ask before destructive buttons (data-confirm). Figures and filters that
// submit on change are handled by salesgoals.js.
(function () {
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
})();
