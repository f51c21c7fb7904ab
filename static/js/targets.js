// Target pages: figures swapped in by htmx, and the grid's inline editing.
(function () {

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (e) {
      return "";
    }
  }

  function showMessage(text, kind) {
    var box = document.getElementById("grid-message");
    if (!box) return;
    box.textContent = text || "";
    box.className = text ? "flash flash-" + (kind || "error") : "";
  }

  function errorText(body) {
    if (!body || typeof body !== "object") return "";
    var parts = [];
    Object.keys(body).forEach(function (key) {
      var value = body[key];
      if (Array.isArray(value)) {
        value.forEach(function (item) {
          parts.push(typeof item === "string" ? item : errorText(item));
        });
      } else if (typeof value === "string") {
        parts.push(value);
      } else {
        parts.push(errorText(value));
      }
    });
    return parts.filter(Boolean).join(" ");
  }

  function applyCells(table, cells) {
    cells.forEach(function (cell) {
      var row = table.querySelector('tr[data-owner="' + cell.owner_type + ":" + cell.owner_id + '"]');
      if (!row) return;
      var td = row.querySelector('td[data-period="' + cell.period + '"]');
      if (!td) return;
      var input = td.querySelector("input.cell");
      if (input) {
        input.value = cell.value;
        input.dataset.value = cell.value;
        input.classList.add("changed");
        setTimeout(function () { input.classList.remove("changed"); }, 1200);
      }
      td.classList.toggle("locked", cell.locked);
      var lock = td.querySelector("button.lock");
      if (lock) {
        lock.setAttribute("aria-pressed", cell.locked ? "true" : "false");
      }
    });
  }

  function patch(table, body, onError) {
    table.setAttribute("aria-busy", "true");
    return fetch(table.dataset.api, {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(body),
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        table.removeAttribute("aria-busy");
        if (!result.ok) {
          showMessage(errorText(result.data) || table.dataset.errorText || "Error");
          if (onError) onError();
          return;
        }
        showMessage("");
        applyCells(table, result.data.cells || []);
      })
      .catch(function () {
        table.removeAttribute("aria-busy");
        if (onError) onError();
      });
  }

  function cellOf(el) {
    var row = el.closest("tr");
    var owner = row.dataset.owner.split(":");
    return { owner_type: owner[0], owner_id: parseInt(owner[1], 10), period: parseInt(el.closest("td").dataset.period, 10) };
  }

  function moveFocus(input, step) {
    var td = input.closest("td");
    var row = input.closest("tr");
    var index = Array.prototype.indexOf.call(row.children, td);
    var next = step > 0 ? row.nextElementSibling : row.previousElementSibling;
    while (next) {
      var target = next.children[index] && next.children[index].querySelector("input.cell");
      if (target) {
        target.focus();
        target.select();
        return;
      }
      next = step > 0 ? next.nextElementSibling : next.previousElementSibling;
    }
  }

  function setupGrid(table) {
    table.addEventListener("change", function (event) {
      var input = event.target;
      if (!input.classList.contains("cell")) return;
      var value = input.value.trim().replace(/,/g, "");
      // Enter sends the value and moves on; the blur that follows fires a second native
      // "change" before the answer is back: send each value once.
      if (value === input.dataset.value || value === input.dataset.pending) return;
      input.dataset.pending = value;
      var cell = cellOf(input);
      cell.value = value;
      patch(table, { cells: [cell] }, function () { input.value = input.dataset.value; }).then(
        function () { delete input.dataset.pending; }
      );
    });
    table.addEventListener("keydown", function (event) {
      var input = event.target;
      if (!input.classList || !input.classList.contains("cell")) return;
      if (event.key === "Enter" || event.key === "ArrowDown") {
        if (event.key === "Enter") input.dispatchEvent(new Event("change", { bubbles: true }));
        event.preventDefault();
        moveFocus(input, 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        moveFocus(input, -1);
      } else if (event.key === "Escape") {
        input.value = input.dataset.value;
      }
    });
    table.addEventListener("click", function (event) {
      var button = event.target.closest("button.lock");
      if (!button) return;
      var cell = cellOf(button);
      cell.locked = button.getAttribute("aria-pressed") !== "true";
      patch(table, { cells: [cell] });
    });
  }

  function collapse(toggle) {
    var row = toggle.closest("tr");
    var path = row.dataset.path;
    var next = row.nextElementSibling;
    while (next && next.dataset.path && next.dataset.path.indexOf(path) === 0 && next.dataset.path !== path) {
      var gone = next;
      next = next.nextElementSibling;
      gone.remove();
    }
    // Reps of this unit share its path: remove the rows that name it as their parent.
    next = row.nextElementSibling;
    while (next && next.dataset.parent === row.dataset.owner) {
      var rep = next;
      next = next.nextElementSibling;
      rep.remove();
    }
    toggle.setAttribute("aria-expanded", "false");
    toggle.textContent = "▸";
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var el = event.detail.elt;
    if (el.classList && el.classList.contains("toggle") && el.getAttribute("aria-expanded") === "true") {
      event.preventDefault();
      collapse(el);
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var el = event.detail.elt;
    if (event.detail.successful && el.classList && el.classList.contains("toggle")) {
      el.setAttribute("aria-expanded", "true");
      el.textContent = "▾";
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    window.salesgoalsDrawFigures(event.detail.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table.target-grid[data-api]").forEach(setupGrid);
  });
})();
