// The static book's explorers and questions (dsconv_lib.widgets, dsconv_lib.questions).
// Every number shown comes from the JSON the library embedded in the page at build
// time: this script only looks values up, formats them and draws them. It computes
// no cost and no factorisation, and sends nothing anywhere.
(function () {
  "use strict";

  function readData(root) {
    return JSON.parse(root.querySelector("script.dsconv-data").textContent);
  }

  // An integer with thousands separators; a float with the decimals the library kept.
  function format(value, decimals) {
    return decimals === null || decimals === undefined
      ? value.toLocaleString("en-US")
      : value.toFixed(decimals);
  }

  // factored_table: a field is stored over the axes it varies along, row-major.
  function lookup(table, field, positions) {
    const spec = table.fields[field];
    let index = 0;
    for (const axis of spec.axes) {
      index = index * table.axes[axis].length + positions[axis];
    }
    return spec.values[index];
  }

  function costExplorer(root) {
    const table = readData(root);
    const sliders = [...root.querySelectorAll("input[data-axis]")];
    function update() {
      const positions = {};
      for (const slider of sliders) {
        const axis = slider.dataset.axis;
        positions[axis] = Number(slider.value);
        root.querySelector(`output[data-axis-value="${axis}"]`).textContent = table.axes[axis][positions[axis]];
      }
      for (const cell of root.querySelectorAll("[data-field]")) {
        const field = cell.dataset.field;
        cell.textContent = format(lookup(table, field, positions), table.fields[field].decimals);
      }
      const bar = root.querySelector("[data-bar]");
      const ratio = lookup(table, bar.dataset.bar, positions);
      bar.style.width = `${Math.max(Math.min(ratio, 1), 0.005) * 100}%`;
    }
    sliders.forEach((slider) => slider.addEventListener("input", update));
    update();
  }

  // A diverging colour for value in [-limit, limit]: blue below zero, red above; white text on dark cells.
  function paint(cell, value, limit) {
    const t = limit > 0 ? Math.max(-1, Math.min(1, value / limit)) : 0;
    const fade = Math.round(255 * (1 - Math.abs(t)));
    cell.style.backgroundColor = t >= 0 ? `rgb(255, ${fade}, ${fade})` : `rgb(${fade}, ${fade}, 255)`;
    cell.style.color = Math.abs(t) > 0.55 ? "#fff" : "#000";
  }

  function drawGrid(grid, shape, values, limit, decimals) {
    grid.replaceChildren();
    for (let r = 0; r < shape[0]; r += 1) {
      const row = grid.insertRow();
      for (let c = 0; c < shape[1]; c += 1) {
        const cell = row.insertCell();
        const value = values[r * shape[1] + c];
        cell.textContent = format(value, decimals);
        paint(cell, value, limit);
      }
    }
  }

  function rankViewer(root) {
    const data = readData(root);
    const menu = root.querySelector("[data-control=kernel]");
    const slider = root.querySelector("[data-control=rank]");
    const field = (name) => root.querySelector(`[data-field="${name}"]`);
    function update() {
      const kernel = data.kernels[Number(menu.value)];
      slider.max = kernel.approximations.length;
      if (Number(slider.value) > kernel.approximations.length) {
        slider.value = kernel.approximations.length;
      }
      const approximation = kernel.approximations[Number(slider.value) - 1];
      drawGrid(root.querySelector("[data-grid=kernel]"), kernel.shape, kernel.values, kernel.limit, data.decimals);
      drawGrid(root.querySelector("[data-grid=approximation]"), kernel.shape, approximation.values, kernel.limit, data.decimals);
      field("chosen_rank").textContent = approximation.rank;
      field("approximation_rank").textContent = approximation.rank;
      field("rank").textContent = kernel.rank;
      field("relative_error").textContent = format(approximation.relative_error, 4);
      field("singular_values").textContent = kernel.singular_values.map((s) => format(s, data.decimals)).join(", ");
    }
    menu.addEventListener("change", update);
    slider.addEventListener("input", update);
    update();
  }

  // What the reader typed as a number: digit separators (1,234,567 / 1 234 567) allowed.
  function parseNumber(text) {
    const cleaned = text.trim().replace(/[,_ '\u00a0\u202f]/g, "");
    if (cleaned === "" || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(cleaned)) {
      return null;
    }
    const value = Number(cleaned);
    return Number.isFinite(value) ? value : null;
  }

  function question(root) {
    const data = readData(root);
    const verdict = root.querySelector(".dsconv-verdict");
    const hint = root.querySelector(".dsconv-hint");
    const solution = root.querySelector(".dsconv-solution");
    function reply() {
      if (data.kind === "choice") {
        const picked = root.querySelector("input[type=radio]:checked");
        return picked === null ? { message: data.no_choice } : { right: Number(picked.value) === data.answer };
      }
      const value = parseNumber(root.querySelector("input.dsconv-answer").value);
      return value === null ? { message: data.not_a_number } : { right: Math.abs(value - data.answer) <= data.tolerance };
    }
    root.querySelector("[data-action=check]").addEventListener("click", () => {
      const result = reply();
      verdict.classList.remove("dsconv-right", "dsconv-wrong");
      if (result.message !== undefined) {
        verdict.textContent = result.message;
        return;
      }
      verdict.textContent = result.right ? data.right : data.wrong;
      verdict.classList.add(result.right ? "dsconv-right" : "dsconv-wrong");
      if (!result.right) {
        hint.hidden = false;
      }
    });
    root.querySelector("[data-action=solution]").addEventListener("click", () => {
      solution.hidden = !solution.hidden;
    });
  }

  const kinds = { cost: costExplorer, rank: rankViewer, question: question };
  function start() {
    for (const root of document.querySelectorAll("[data-dsconv]")) {
      kinds[root.dataset.dsconv](root);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
