/* Compliance trends: the region's month figures and one line per subordinate region, drawn with ECharts.
 * The data comes from <script type="application/json" id="compliance-trends"> (Django's json_script); no inline
 * script (Content-Security-Policy). Shape: {months, total: {activities, on_site, confirmed_share, pairings,
 * per_pairing}, children: [{name, code, ...same series}]}. Plain ES2020, no build step. */
(() => {
  "use strict";

  const charts = [];

  function cssVar(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function base(el, months) {
    const narrow = el.clientWidth < 600;
    return {
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 8, top: 56, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: months,
        axisTick: { alignWithLabel: true },
        axisLabel: { rotate: narrow ? 45 : 0, hideOverlap: true },
      },
    };
  }

  function totalChart(el, data) {
    const label = (key, fallback) => el.dataset[key] || fallback;
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      ...base(el, data.months),
      color: [cssVar("--tblr-primary", "#066fd1"), cssVar("--tblr-green", "#2fb344"), cssVar("--tblr-orange", "#f76707"), cssVar("--tblr-purple", "#ae3ec9")],
      legend: { top: 0, left: "center", type: "scroll" },
      yAxis: [
        { type: "value", name: label("labelCount", ""), minInterval: 1, splitLine: { lineStyle: { type: "dashed" } } },
        { type: "value", name: label("labelShare", ""), min: 0, max: 100, splitLine: { show: false } },
      ],
      series: [
        { name: label("labelActivities", "activities"), type: "bar", data: data.total.activities, barMaxWidth: 24 },
        { name: label("labelOnSite", "on site"), type: "bar", data: data.total.on_site, barMaxWidth: 24 },
        {
          name: label("labelConfirmedShare", "confirmed %"), type: "line", yAxisIndex: 1, data: data.total.confirmed_share,
          symbol: "circle", symbolSize: 6, connectNulls: true,
        },
        { name: label("labelPairings", "pairings"), type: "line", data: data.total.pairings, symbol: "circle", symbolSize: 6 },
      ],
    });
    charts.push(chart);
  }

  function childrenChart(el, data) {
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    const draw = (metric) => {
      chart.setOption(
        {
          ...base(el, data.months),
          legend: { top: 0, left: "center", type: "scroll" },
          yAxis: {
            type: "value",
            min: 0,
            max: metric === "confirmed_share" ? 100 : null,
            minInterval: metric === "per_pairing" ? 0 : 1,
            splitLine: { lineStyle: { type: "dashed" } },
          },
          series: data.children.map((child) => ({
            name: child.name,
            type: "line",
            data: child[metric],
            symbol: "circle",
            symbolSize: 5,
            connectNulls: true,
          })),
        },
        { notMerge: true },
      );
    };
    draw("activities");
    const buttons = document.querySelectorAll(".trend-metrics [data-metric]");
    buttons.forEach((button) => {
      button.addEventListener("click", () => {
        buttons.forEach((b) => {
          b.classList.toggle("active", b === button);
          b.setAttribute("aria-pressed", b === button ? "true" : "false");
        });
        draw(button.dataset.metric);
      });
    });
    charts.push(chart);
  }

  function init() {
    if (typeof window.echarts === "undefined") return;
    document.querySelectorAll("[data-trend-chart]").forEach((el) => {
      if (el.dataset.chartReady) return;
      const source = document.getElementById(el.dataset.source);
      if (!source) return;
      const data = JSON.parse(source.textContent);
      if (el.dataset.trendChart === "total") totalChart(el, data);
      else childrenChart(el, data);
      el.dataset.chartReady = "1";
    });
  }

  let resizeTimer;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => charts.forEach((chart) => chart.isDisposed() || chart.resize()), 150);
  });
  document.addEventListener("DOMContentLoaded", init);
})();
