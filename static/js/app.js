/* Bangdai page behaviour: region pickers, auto-submitting forms, charts. Plain ES2020, no build step.
 * Runs on page load and again on every htmx swap, for the swapped content only. */
(() => {
  "use strict";

  const charts = new Set();

  // ---- Region pickers: <select data-region-select data-lookup-url=...> searched through regions:lookup.
  function regionPicker(select) {
    if (select.tomselect || typeof window.TomSelect === "undefined") return;
    const url = select.dataset.lookupUrl;
    const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const plugins = select.hasAttribute("data-allow-clear") ? ["clear_button"] : [];
    const ts = new window.TomSelect(select, {
      valueField: "value",
      labelField: "text",
      searchField: ["text", "code"],
      sortField: [{ field: "level", direction: "asc" }, { field: "$score" }],
      maxOptions: 30,
      preload: "focus",
      loadThrottle: 250,
      allowEmptyOption: false,
      placeholder: select.dataset.placeholder || "",
      dropdownParent: "body",
      plugins,
      load(query, callback) {
        const params = new URLSearchParams({ q: query });
        fetch(`${url}?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then((response) => (response.ok ? response.json() : { results: [] }))
          .then((data) => callback(data.results))
          .catch(() => callback());
      },
      render: {
        option: (item, escape) =>
          `<div>${escape(item.text)}${item.code ? `<span class="region-code">${escape(item.code)}</span>` : ""}</div>`,
        item: (item, escape) => `<div>${escape(item.text)}</div>`,
        no_results: () => `<div class="no-results">${escapeHtml(select.dataset.noResults || "—")}</div>`,
      },
    });
    // A chosen option rendered from a bare code (a filter in the query string): fetch its name.
    const value = ts.getValue();
    const option = value && ts.options[value];
    if (option && option.text === value && /^\d{6,12}$/.test(value)) {
      fetch(`${url}?${new URLSearchParams({ q: value })}`, { credentials: "same-origin" })
        .then((response) => response.json())
        .then((data) => {
          const match = (data.results || []).find((r) => r.value === value);
          if (match) ts.updateOption(value, match);
        })
        .catch(() => {});
    }
  }

  // ---- Charts: <div data-chart="id-of-json-script" data-label-*>; JSON {labels, series: {villages, communities, cadres}}.
  function cssVar(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function regionChart(el) {
    if (el.dataset.chartReady || typeof window.echarts === "undefined") return;
    const source = document.getElementById(el.dataset.chart);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const label = (key, fallback) => el.dataset[`label${key}`] || fallback;
    const many = data.labels.length > 8;
    const narrow = el.clientWidth < 600;
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    const cadresOnly = el.dataset.chartMode === "cadres"; // below a county every unit is one village
    const primary = cssVar("--tblr-primary", "#066fd1");
    const cadres = { name: label("Cadres", "cadres"), data: data.series.cadres };
    chart.setOption({
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
      color: cadresOnly ? [primary] : [cssVar("--tblr-green", "#2fb344"), cssVar("--tblr-teal", "#0ca678"), primary],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, left: "center", show: !cadresOnly },
      grid: { left: 8, right: 8, top: cadresOnly ? 24 : 56, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: data.labels,
        axisTick: { alignWithLabel: true },
        axisLabel: { interval: narrow ? "auto" : 0, rotate: many || narrow ? 45 : 0, hideOverlap: narrow },
      },
      yAxis: cadresOnly
        ? [{ type: "value", name: label("Cadres", ""), minInterval: 1, splitLine: { lineStyle: { type: "dashed" } } }]
        : [
            {
              type: "value", name: label("Units", ""), minInterval: 1, nameTextStyle: { align: "left" },
              splitLine: { lineStyle: { type: "dashed" } },
            },
            { type: "value", name: label("Cadres", ""), minInterval: 1, nameTextStyle: { align: "right" }, splitLine: { show: false } },
          ],
      series: cadresOnly
        ? [{ ...cadres, type: "bar", barMaxWidth: 32 }]
        : [
            { name: label("Villages", "villages"), type: "bar", data: data.series.villages, barMaxWidth: 28 },
            { name: label("Communities", "communities"), type: "bar", data: data.series.communities, barMaxWidth: 28 },
            { ...cadres, type: "line", yAxisIndex: 1, symbol: "circle", symbolSize: 7, lineStyle: { width: 2 } },
          ],
    });
    el.dataset.chartReady = "1";
    charts.add(chart);
  }

  // ---- Filter forms (hx-trigger "change"): only named controls count. The search box has its own debounced
  // trigger, and tom-select's typing box has no name; their change-on-blur would fire a second, stale request
  // that cancels a sort or page link clicked at the same moment.
  function filterForm(form) {
    if (form.dataset.filterReady) return;
    form.dataset.filterReady = "1";
    form.addEventListener("change", (event) => {
      const t = event.target;
      if (!t.name || t.type === "search") event.stopPropagation();
    }, true);
  }

  function enhance(root) {
    root.querySelectorAll("form[data-filter-form]").forEach(filterForm);
    root.querySelectorAll("select[data-region-select]").forEach(regionPicker);
    root.querySelectorAll("[data-chart]").forEach(regionChart);
  }

  // ---- Forms marked data-autosubmit (region switcher, language) submit when a select changes.
  document.addEventListener("change", (event) => {
    const form = event.target.closest && event.target.closest("form[data-autosubmit]");
    if (!form || event.target.tagName !== "SELECT" || !event.target.value) return;
    form.requestSubmit();
  });

  // ---- Forms marked data-confirm ask before they submit (revoking a role, deactivating an account).
  document.addEventListener("submit", (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  let resizeTimer;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      charts.forEach((chart) => (chart.isDisposed() ? charts.delete(chart) : chart.resize()));
    }, 150);
  });

  document.addEventListener("DOMContentLoaded", () => enhance(document));
  document.addEventListener("htmx:afterSwap", (event) => enhance(event.detail.elt || document));
})();
