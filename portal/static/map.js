// The portal's map: the shared base map (country outlines), the search's footprints
// or one item's tiles, the "map view" button of the search form and the clip of the view.
// The server renders everything else; this module only reads the page's JSON configuration.

const $ = (id) => document.getElementById(id);
const config = JSON.parse($("map-config").textContent);
const text = $("map-text") ? JSON.parse($("map-text").textContent) : {};
const round = (value, digits) => Number(value.toFixed(digits));

function start() {
  const { map, ready } = dinamisBasemap("/static/vendor/world-atlas/countries-110m.json");
  window.dinamisMap = map;

  ready.then(async () => {
    if (config.footprints) showFootprints(map, config.footprints);
    if (config.area) showArea(map, config.area);
    if (config.tilejson) await showItem(map);
    // Pages that add their own layers and tools (the request form) start from here.
    window.dispatchEvent(new CustomEvent("dinamis-map", { detail: map }));
  });

  const coverage = $("coverage");
  if (coverage) coverage.addEventListener("change", () => showCoverage(map, coverage.value));

  const useView = $("use-view");
  if (useView) {
    useView.addEventListener("click", () => {
      const b = map.getBounds();
      $("bbox").value = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => round(v, 4)).join(", ");
    });
  }
}

// A national coverage as one layer under the footprints, at every zoom (the tiler serves low
// zooms from the coverage's pyramid).
async function showCoverage(map, tilejsonUrl) {
  if (map.getLayer("coverage")) map.removeLayer("coverage");
  if (map.getSource("coverage")) map.removeSource("coverage");
  if (!tilejsonUrl) return;
  const tilejson = await (await fetch(tilejsonUrl)).json();
  map.addSource("coverage", {
    type: "raster", tiles: tilejson.tiles, tileSize: 256, bounds: tilejson.bounds,
    minzoom: tilejson.minzoom ?? 0, maxzoom: tilejson.maxzoom ?? 22,
  });
  map.addLayer({ id: "coverage", type: "raster", source: "coverage" }, map.getLayer("footprints-fill") ? "footprints-fill" : undefined);
}

function fit(map, bbox) {
  if (bbox && bbox.length >= 4) {
    const [w, s, e, n] = bbox.length === 6 ? [bbox[0], bbox[1], bbox[3], bbox[4]] : bbox;
    map.fitBounds([[w, s], [e, n]], { padding: 40, animate: false, maxZoom: 14 });
  }
}

function showFootprints(map, footprints) {
  map.addSource("footprints", { type: "geojson", data: footprints });
  map.addLayer({ id: "footprints-fill", type: "fill", source: "footprints", paint: { "fill-color": "#1864ab", "fill-opacity": 0.12 } });
  map.addLayer({ id: "footprints-line", type: "line", source: "footprints", paint: { "line-color": "#1864ab", "line-width": 1.5 } });
  fitGeometries(map, footprints.features.map((f) => f.geometry));
  // A footprint leads to its item's page, as the result list does.
  map.on("click", "footprints-fill", (event) => {
    const key = event.features[0].properties.key;
    window.location.href = `/catalogue/${key.split("/").map(encodeURIComponent).join("/")}`;
  });
  map.on("mouseenter", "footprints-fill", () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", "footprints-fill", () => { map.getCanvas().style.cursor = ""; });
}

// The view on the geometries (polygons and multipolygons, in lon/lat).
function fitGeometries(map, geometries) {
  const coords = geometries.flatMap((g) => g.coordinates.flat(g.type === "MultiPolygon" ? 3 : 2));
  if (coords.length) {
    const xs = [], ys = [];
    for (let i = 0; i < coords.length; i += 2) { xs.push(coords[i]); ys.push(coords[i + 1]); }
    fit(map, [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]);
  }
}

// A request's area, drawn over what was delivered for it, and the view on it.
function showArea(map, area) {
  map.addSource("area", { type: "geojson", data: { type: "Feature", geometry: area, properties: {} } });
  map.addLayer({ id: "area-fill", type: "fill", source: "area", paint: { "fill-color": "#d9480f", "fill-opacity": 0.08 } });
  map.addLayer({ id: "area-line", type: "line", source: "area", paint: { "line-color": "#d9480f", "line-width": 2, "line-dasharray": [2, 1] } });
  fitGeometries(map, [area]);
}

async function showItem(map) {
  map.addSource("footprint", { type: "geojson", data: { type: "Feature", geometry: config.geometry, properties: {} } });
  map.addLayer({ id: "footprint-line", type: "line", source: "footprint", paint: { "line-color": "#d9480f", "line-width": 2 } });
  fit(map, config.bbox);
  if (!config.allowed) return;
  const tilejson = await (await fetch(config.tilejson)).json();
  map.addSource("item-tiles", {
    type: "raster", tiles: tilejson.tiles, tileSize: 256, bounds: tilejson.bounds,
    minzoom: tilejson.minzoom ?? 0, maxzoom: tilejson.maxzoom ?? 22,
  });
  map.addLayer({ id: "item-tiles", type: "raster", source: "item-tiles" }, "footprint-line");
  map.on("moveend", () => updateClip(map));
  updateClip(map);
}

function updateClip(map) {
  const link = $("clip");
  if (!link) return;
  const b = map.getBounds();
  const item = config.bbox.length === 6 ? [config.bbox[0], config.bbox[1], config.bbox[3], config.bbox[4]] : config.bbox;
  // The view, cut to the image: the tiler clips at native resolution in the item's CRS.
  const clip = [Math.max(b.getWest(), item[0]), Math.max(b.getSouth(), item[1]), Math.min(b.getEast(), item[2]), Math.min(b.getNorth(), item[3])];
  if (clip[0] >= clip[2] || clip[1] >= clip[3]) {
    link.removeAttribute("href");
    link.setAttribute("aria-disabled", "true");
    return;
  }
  const url = new URL(config.clip.replace("{bbox}", clip.map((v) => round(v, 6)).join(",")), window.location.href);
  url.searchParams.set("assets", config.asset);
  if (config.token) url.searchParams.set("access_token", config.token);
  link.href = url.toString();
  link.setAttribute("aria-disabled", "false");
  $("clip-help").textContent = text.clipReady || "";
}

if (document.readyState === "complete") start();
else window.addEventListener("load", start);
