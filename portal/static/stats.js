// The statistics page's charts (Chart.js) and map (MapLibre) from the figures the server put
// in the page; the tables and CSV links are the server's. No figure is computed here: rows
// are only picked (the totals the SQL made) and laid out by span.

const $ = (id) => document.getElementById(id);
const data = JSON.parse($("stats-data").textContent);
const names = JSON.parse($("stats-names").textContent);
const labels = data.labels;
const COLOURS = ["#1864ab", "#e8590c", "#2b8a3e", "#862e9c", "#c92a2a", "#5c940d", "#495057"];
const empty = { type: "FeatureCollection", features: [] };

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
  const view = new maplibregl.Map({
    container: "map",
    style: {
      version: 8,
      sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": "#dde8f0" } }],
    },
    center: [2.5, 46.6],
    zoom: 4.3,
    attributionControl: { compact: true, customAttribution: "Natural Earth" },
  });
  view.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  window.dinamisStatsMap = view;
  view.on("load", async () => {
    view.addSource("countries", { type: "geojson", data: empty });
    view.addLayer({ id: "countries-fill", type: "fill", source: "countries", paint: { "fill-color": "#f6f4ee" } });
    view.addLayer({ id: "countries-line", type: "line", source: "countries", paint: { "line-color": "#a9a294", "line-width": 0.6 } });
    const [topology, footprints] = await Promise.all([
      fetch("/static/vendor/world-atlas/countries-110m.json").then((r) => r.json()),
      fetch(data.footprints).then((r) => r.json()),
    ]);
    view.getSource("countries").setData(topojson.feature(topology, topology.objects.countries));
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
