// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("keydown", (event) => {
  // "/" focuses the first search/filter box on the page, as in most list tools.
  if (event.key === "/" && !["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)) {
    const box = document.querySelector("input[type=search], form.filters input");
    if (box) {
      event.preventDefault();
      box.focus();
    }
  }
});

// Plotly figures embedded with json_script: <div data-figure="id of the json_script tag">.
// Pages that load plotly.js get their figures drawn once the document is parsed; pages that
// swap figures in later (htmx) call window.salesgoalsDrawFigures(root) themselves.
window.salesgoalsDrawFigures = (root) => {
  if (typeof Plotly === "undefined") return;
  (root || document).querySelectorAll("[data-figure]").forEach((el) => {
    const source = document.getElementById(el.dataset.figure);
    if (!source) return;
    const figure = JSON.parse(source.textContent);
    Plotly.newPlot(el, figure.data, figure.layout, {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
    });
  });
};

document.addEventListener("DOMContentLoaded", () => {
  window.salesgoalsDrawFigures(document);
  // Pickers and filters marked data-autosubmit apply as soon as they change.
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
});
