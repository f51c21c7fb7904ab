// Incentives: the plan builder (figures are drawn by salesgoals.js) — the
// structured form writes the components JSON and asks the server (the same engine as the
// statements) for the payout curve and validation messages while bands are edited.
(function () {
  "use strict";

  var PLOT_CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"] };


  var DEFAULTS = {
    bands: [
      { from_pct: "80", to_pct: "100", mode: "linear", rate: "2.5", step_pct: "50" },
      { from_pct: "100", to_pct: null, mode: "linear", rate: "2.5", step_pct: "0" },
    ],
    tiers: [{ from_amount: "0", to_amount: null, rate_pct: "1" }],
  };

  function text(value) {
    return value === null || value === undefined ? "" : String(value);
  }

  function Builder(form) {
    this.form = form;
    this.textarea = form.querySelector("[data-components]");
    this.chart = form.querySelector("#payout-curve");
    this.errors = form.querySelector("#builder-errors");
    this.url = form.dataset.previewUrl;
    this.extras = [];
    this.keys = {};
    this.timer = null;
    this.load();
    var self = this;
    form.addEventListener("input", function (event) {
      if (event.target === self.textarea) return;
      self.schedule();
    });
    form.addEventListener("change", function (event) {
      if (event.target === self.textarea) return;
      self.schedule();
    });
    form.addEventListener("click", function (event) {
      var add = event.target.closest("[data-add]");
      var remove = event.target.closest("[data-remove]");
      if (add) {
        var rows = self.form.querySelector('[data-rows="' + add.dataset.add + '"]');
        var last = self.rowValues(add.dataset.add).pop() || {};
        var next = add.dataset.add === "bands"
          ? { from_pct: text(last.to_pct), to_pct: null, mode: "linear", rate: "1", step_pct: "0" }
          : { from_amount: text(last.to_amount), to_amount: null, rate_pct: "1" };
        self.addRow(add.dataset.add, next);
        rows.lastElementChild.querySelector("input").focus();
        self.schedule();
      } else if (remove) {
        remove.closest("tr").remove();
        self.schedule();
      }
    });
    form.addEventListener("submit", function () {
      self.write();
    });
    this.sync();
  }

  Builder.prototype.part = function (kind) {
    return this.form.querySelector('[data-part="' + kind + '"]');
  };

  Builder.prototype.addRow = function (name, values) {
    var template = document.getElementById("row-" + name);
    var row = template.content.firstElementChild.cloneNode(true);
    row.querySelectorAll("[data-c]").forEach(function (input) {
      input.value = text(values[input.dataset.c]);
    });
    this.form.querySelector('[data-rows="' + name + '"]').appendChild(row);
  };

  Builder.prototype.rowValues = function (name) {
    var rows = this.form.querySelectorAll('[data-rows="' + name + '"] tr');
    return Array.prototype.map.call(rows, function (row) {
      var values = {};
      row.querySelectorAll("[data-c]").forEach(function (input) {
        var value = input.value.trim();
        values[input.dataset.c] = value === "" ? null : value;
      });
      return values;
    });
  };

  Builder.prototype.load = function () {
    var components = [];
    try {
      components = JSON.parse(this.textarea.value || "[]");
    } catch (error) {
      components = [];
    }
    var fresh = components.length === 0;
    var seen = {};
    var self = this;
    components.forEach(function (component) {
      var part = self.part(component.kind);
      if (!part || seen[component.kind]) {
        self.extras.push(component);
        return;
      }
      seen[component.kind] = true;
      self.keys[component.kind] = component.key;
      part.querySelector("[data-include]").checked = true;
      part.querySelectorAll("[data-f]").forEach(function (input) {
        var value = component[input.dataset.f];
        if (Array.isArray(value)) value = value.join(", ");
        if (value !== undefined) input.value = text(value);
      });
      if (component.bands) component.bands.forEach(function (b) { self.addRow("bands", b); });
      if (component.tiers) component.tiers.forEach(function (t) { self.addRow("tiers", t); });
    });
    ["tiered", "commission", "spiff", "badge", "promotion"].forEach(function (kind) {
      if (!fresh && !seen[kind]) self.part(kind).querySelector("[data-include]").checked = false;
    });
    if (!seen.tiered) DEFAULTS.bands.forEach(function (b) { self.addRow("bands", b); });
    if (!seen.commission) DEFAULTS.tiers.forEach(function (t) { self.addRow("tiers", t); });
  };

  Builder.prototype.components = function () {
    var self = this;
    var list = [];
    ["tiered", "commission", "spiff", "badge", "promotion"].forEach(function (kind) {
      var part = self.part(kind);
      if (!part.querySelector("[data-include]").checked) return;
      var component = { kind: kind, key: self.keys[kind] || kind };
      part.querySelectorAll("[data-f]").forEach(function (input) {
        var value = input.value.trim();
        if (input.hasAttribute("data-list")) {
          value = value ? value.split(",").map(function (v) { return v.trim(); }).filter(Boolean) : [];
        } else if (input.hasAttribute("data-int")) {
          value = value === "" ? null : parseInt(value, 10);
        } else if (value === "") {
          value = null;
        }
        component[input.dataset.f] = value;
      });
      if (kind === "tiered") component.bands = self.rowValues("bands");
      if (kind === "commission") component.tiers = self.rowValues("tiers");
      list.push(component);
    });
    return list.concat(this.extras);
  };

  Builder.prototype.write = function () {
    this.textarea.value = JSON.stringify(this.components(), null, 2);
  };

  Builder.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.sync(); }, 250);
  };

  Builder.prototype.sync = function () {
    this.write();
    var self = this;
    var token = this.form.querySelector("[name=csrfmiddlewaretoken]").value;
    fetch(this.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ components: this.components() }),
      credentials: "same-origin",
    })
      .then(function (response) { return response.json(); })
      .then(function (answer) { self.show(answer); })
      .catch(function () {});
  };

  Builder.prototype.show = function (answer) {
    this.errors.innerHTML = "";
    (answer.errors || []).forEach(function (message) {
      var item = document.createElement("li");
      item.className = "error";
      item.textContent = message;
      this.errors.appendChild(item);
    }, this);
    this.chart.classList.toggle("stale", (answer.errors || []).length > 0);
    if (answer.figure && typeof Plotly !== "undefined") {
      Plotly.react(this.chart, answer.figure.data, answer.figure.layout, PLOT_CONFIG);
      this.chart.dataset.points = String((answer.figure.data[0] || { x: [] }).x.length);
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-builder]").forEach(function (form) {
      new Builder(form);
    });
  });
})();
