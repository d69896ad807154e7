// The statistics page's charts (Chart.js) and map (MapLibre) from the figures the server put
// in the page; the tables and CSV links are the server's. No figure is computed here: rows
// are only picked (the totals the SQL made) and laid out by span.

const $ = (id) => document.getElementById(id);
const data = JSON.parse($("stats-data").textContent);
const names = JSON.parse($("stats-names").textContent);
const labels = data.labels;
const COLOURS = ["#1864ab", "#e8590c", "#2b8a3e", "#862e9c", "#c92a2a", "#5c940d", "#495057"];

// One stacked bar per group: rows[key] of each span, zero where a span has no row.
function stacked(canvasId, periods, rows, key, value, title) {
  const groups = [...new Set(rows.map((r) => r[key]))].sort();
  const datasets = groups.map((group, i) => ({
    label: labels[group] || names[group] || group,
    backgroundColor: COLOURS[i % COLOURS.length],
    data: periods.map((p) => {
      const row = rows.find((r) => r.period === p && r[key] === group);
      return row ? row[value] : 0;
    }),
  }));
  return new Chart($(canvasId), {
    type: "bar",
    data: { labels: periods.map((p) => p.slice(0, canvasId.includes("month") ? 7 : 4)), datasets },
    options: {
      animation: false,
      responsive: true,
      plugins: { title: { display: true, text: title } },
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
    },
  });
}

function charts() {
  for (const step of ["month", "year"]) {
    const periods = data.periods[step];
    const series = data.series[step];
    // Downloads: the rows of every collection, one per category.
    const downloads = series.downloads.filter((r) => r.collection === "all" && r.category !== "all");
    stacked(`chart-${step}-downloads`, periods, downloads, "category", "km2", labels.km2_downloaded);
    // Requests: the rows of every kind and actor, one per sensor.
    const requests = series.requests.filter(
      (r) => r.kind === "all" && r.actors === "all" && r.sensor !== "all",
    );
    stacked(`chart-${step}-requests`, periods, requests, "sensor", "km2_requested", labels.km2_requested);
  }
}

function map() {
  const { map: view, ready } = dinamisBasemap("/static/vendor/world-atlas/countries-110m.json", {
    zoom: 4.3,
    scale: false,
  });
  window.dinamisStatsMap = view;
  ready.then(async () => {
    const footprints = await (await fetch(data.footprints)).json();
    view.addSource("footprints", { type: "geojson", data: footprints });
    view.addLayer({
      id: "requested", type: "line", source: "footprints",
      filter: ["==", ["get", "footprint"], "requested"],
      paint: { "line-color": "#e8590c", "line-width": 1.5 },
    });
    view.addLayer({
      id: "delivered", type: "fill", source: "footprints",
      filter: ["==", ["get", "footprint"], "delivered"],
      paint: { "fill-color": "#1864ab", "fill-opacity": 0.35 },
    });
    $("map").dataset.features = String(footprints.features.length);
  });
}

charts();
map();
