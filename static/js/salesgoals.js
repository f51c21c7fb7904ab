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
