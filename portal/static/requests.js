// The request form: the area drawn on the map (terra-draw) or read from a file by the server,
// the live quote, the archive scenes to pick and the satellite passes. Every figure comes
// from the portal's routes, which ask the API: no rule of the programme is copied here.

const $ = (id) => document.getElementById(id);
const config = JSON.parse($("request-config").textContent);
const text = JSON.parse($("request-text").textContent);
const empty = { type: "FeatureCollection", features: [] };
const state = { geometry: null, quote: null, scenes: new Set(), map: null, draw: null, ready: false };
window.dinamisRequest = state;

// A POST to the portal (JSON or a form), its answer; a network failure is said as an error.
async function post(url, body, signal) {
  const isForm = body instanceof FormData;
  const headers = { "X-CSRF-Token": config.csrf };
  if (!isForm) headers["Content-Type"] = "application/json";
  try {
    const response = await fetch(url, { method: "POST", headers, body: isForm ? body : JSON.stringify(body), signal });
    const answer = await response.json().catch((error) => {
      if (error.name === "AbortError") throw error;
      return { error: text.failed };
    });
    return { ok: response.ok && !answer.error, answer };
  } catch (error) {
    if (error.name === "AbortError") throw error;
    return { ok: false, answer: { error: text.failed } };
  }
}

const kind = () => $("product").selectedOptions[0]?.dataset.kind || "tasking";

function values() {
  return {
    product: $("product").value,
    geometry: state.geometry ? JSON.stringify(state.geometry) : "",
    start: $("start").value,
    end: $("end").value,
    view: $("view").value,
    cloud: $("cloud").value,
    incidence: $("incidence").value,
    purpose: $("purpose").value,
    scenes: [...state.scenes],
  };
}

// -- the quote ----------------------------------------------------------------------------

let timer = null;
let pending = null;

function requote() {
  clearTimeout(timer);
  timer = setTimeout(quote, 300);
}

async function quote() {
  if (!state.geometry || (kind() === "archive" && !state.scenes.size)) {
    $("quote-figures").hidden = true;
    $("quote-error").hidden = true;
    $("quote-empty").hidden = false;
    state.quote = null;
    return;
  }
  if (pending) pending.abort();
  pending = new AbortController();
  const body = values();
  const asked = body.geometry;
  let result;
  try {
    result = await post("/requests/quote", body, pending.signal);
  } catch {
    return; // a newer outline is being quoted
  }
  $("quote-empty").hidden = true;
  if (!result.ok) {
    $("quote-figures").hidden = true;
    $("quote-error").hidden = false;
    $("quote-error").textContent = result.answer.error;
    state.quote = { geometry: asked, error: result.answer.error };
    return;
  }
  const { figures, shown } = result.answer;
  const pleiades = "quota_km2" in figures;
  for (const cell of document.querySelectorAll("#quote-figures .pleiades")) cell.hidden = !pleiades;
  for (const cell of document.querySelectorAll("#quote-figures .spot")) cell.hidden = pleiades;
  const show = { "q-area": "area_km2", "q-quota": "quota_km2", "q-left": "quota_left_km2", "q-beyond": "beyond_km2", "q-due": "due", "q-free-attempts": "free_attempts", "q-tranche": "tranche_attempts" };
  for (const [id, name] of Object.entries(show)) {
    $(id).textContent = shown[name] ?? "";
    $(id).dataset.value = figures[name] ?? "";
  }
  $("quote-error").hidden = true;
  $("quote-figures").hidden = false;
  state.quote = { geometry: asked, scenes: body.scenes, ...result.answer };
}

// -- the area -----------------------------------------------------------------------------

function bounds(geometry) {
  const coords = (geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates).flat(2);
  const xs = coords.map((c) => c[0]), ys = coords.map((c) => c[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

function setArea(geometry, fit) {
  state.geometry = geometry;
  $("geometry").value = geometry ? JSON.stringify(geometry) : "";
  state.map.getSource("aoi").setData(geometry ? { type: "Feature", geometry, properties: {} } : empty);
  if (geometry && fit) {
    const [w, s, e, n] = bounds(geometry);
    state.map.fitBounds([[w, s], [e, n]], { padding: 60, animate: false, maxZoom: 13 });
  }
  requote();
}

function latestPolygon() {
  const drawn = state.draw.getSnapshot().filter((f) => f.geometry.type === "Polygon");
  return drawn.length ? drawn[drawn.length - 1] : null;
}

function startDrawing(map) {
  const { TerraDraw, TerraDrawPolygonMode, TerraDrawRectangleMode } = window.terraDraw;
  const { TerraDrawMapLibreGLAdapter } = window.terraDrawMaplibreGlAdapter;
  const draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map }),
    modes: [new TerraDrawPolygonMode(), new TerraDrawRectangleMode()],
  });
  draw.start();
  state.draw = draw;
  // While a polygon is being drawn, its outline so far is quoted (after a pause).
  draw.on("change", () => {
    const feature = latestPolygon();
    if (feature && feature.geometry.coordinates[0].length >= 4) {
      state.geometry = feature.geometry;
      $("geometry").value = JSON.stringify(feature.geometry);
      requote();
    }
  });
  draw.on("finish", (id) => {
    // One area per request: the new outline replaces the others.
    const others = draw.getSnapshot().filter((f) => f.id !== id).map((f) => f.id);
    if (others.length) draw.removeFeatures(others);
    map.getSource("aoi").setData(empty);
    setArea(draw.getSnapshotFeature(id).geometry, false);
    draw.setMode("static");
  });
  $("draw-polygon").addEventListener("click", () => draw.setMode("polygon"));
  $("draw-rectangle").addEventListener("click", () => draw.setMode("rectangle"));
  $("clear-aoi").addEventListener("click", () => {
    draw.clear();
    draw.setMode("static");
    setArea(null, false);
  });
}

async function upload() {
  const file = $("aoi-file").files[0];
  if (!file) return;
  const status = $("aoi-status");
  status.className = "help";
  status.textContent = text.reading;
  const form = new FormData();
  form.append("csrf", config.csrf);
  form.append("file", file);
  const result = await post("/requests/aoi", form);
  if (!result.ok) {
    status.className = "error";
    status.textContent = result.answer.error;
    return;
  }
  status.textContent = text.read;
  state.draw.clear();
  state.draw.setMode("static");
  setArea(result.answer.geometry, true);
}

// -- archive scenes -----------------------------------------------------------------------

function pickScene(id) {
  if (state.scenes.has(id)) state.scenes.delete(id);
  else state.scenes.add(id);
  $("scenes").value = [...state.scenes].join(",");
  for (const box of document.querySelectorAll("#scenes-list input")) box.checked = state.scenes.has(box.value);
  state.map.setFilter("scenes-picked", ["in", ["get", "id"], ["literal", [...state.scenes]]]);
  requote();
}

async function findScenes() {
  if (!state.geometry) return;
  $("scenes-status").textContent = text.searching;
  const { ok, answer } = await post("/requests/scenes", { product: $("product").value, bbox: bounds(state.geometry), start: $("start").value, end: $("end").value });
  if (!ok) {
    $("scenes-status").textContent = answer.error;
    return;
  }
  const features = answer.features.map((f) => ({ ...f, properties: { ...f.properties, id: f.id } }));
  state.map.getSource("scenes").setData({ type: "FeatureCollection", features });
  const list = $("scenes-list");
  list.replaceChildren(...features.map((f) => {
    const item = document.createElement("li");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = f.id;
    box.id = `scene-${f.id}`;
    box.checked = state.scenes.has(f.id);
    box.addEventListener("change", () => pickScene(f.id));
    const label = document.createElement("label");
    label.htmlFor = box.id;
    const p = f.properties;
    label.textContent = `${f.id} · ${(p.datetime || "").slice(0, 10)} · ${p.platform} · ${text.cloud} ${p["eo:cloud_cover"]} % · ${text.incidence} ${p["view:incidence_angle"]}°`;
    item.append(box, label);
    return item;
  }));
  $("scenes-status").textContent = features.length ? text.scenesFound : text.noScene;
  if (features.length) {
    // The area and every scene in view, to pick them.
    const boxes = [bounds(state.geometry), ...features.map((f) => f.bbox)];
    const [w, s, e, n] = [0, 1, 2, 3].map((i) => (i < 2 ? Math.min : Math.max)(...boxes.map((b) => b[i])));
    state.map.fitBounds([[w, s], [e, n]], { padding: 40, animate: false, maxZoom: 13 });
  }
}

// -- satellite passes ---------------------------------------------------------------------

async function findPasses() {
  if (!state.geometry) return;
  $("passes-status").textContent = text.searching;
  const { ok, answer } = await post("/requests/opportunities", values());
  if (!ok) {
    $("passes-status").textContent = answer.error;
    $("passes").replaceChildren();
    return;
  }
  $("passes-status").textContent = answer.passes.length ? text.passesUntil.replace("{date}", answer.until) : text.noPass;
  const format = new Intl.DateTimeFormat(document.documentElement.lang, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
  $("passes").replaceChildren(...answer.passes.map((pass) => {
    const item = document.createElement("li");
    const when = document.createElement("time");
    when.dateTime = pass.start;
    when.textContent = `${format.format(new Date(pass.start))} UTC`;
    const what = document.createElement("span");
    what.className = "meta";
    what.textContent = ` ${pass.platform} · ${text.incidence} ${pass.incidence}°`;
    // The bar's length says how steep the view is: shorter is closer to vertical.
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${Math.min(100, (pass.incidence / 60) * 100)}%`;
    item.append(when, what, bar);
    return item;
  }));
}

// -- the page -----------------------------------------------------------------------------

function showKind() {
  const archive = kind() === "archive";
  $("archive").hidden = !archive;
  $("tasking").hidden = archive;
  requote();
}

window.addEventListener("dinamis-map", (event) => {
  const map = event.detail;
  state.map = map;
  map.addSource("aoi", { type: "geojson", data: empty });
  map.addLayer({ id: "aoi-fill", type: "fill", source: "aoi", paint: { "fill-color": "#d9480f", "fill-opacity": 0.15 } });
  map.addLayer({ id: "aoi-line", type: "line", source: "aoi", paint: { "line-color": "#d9480f", "line-width": 2 } });
  map.addSource("scenes", { type: "geojson", data: empty });
  map.addLayer({ id: "scenes-fill", type: "fill", source: "scenes", paint: { "fill-color": "#1864ab", "fill-opacity": 0.08 } }, "aoi-fill");
  map.addLayer({ id: "scenes-line", type: "line", source: "scenes", paint: { "line-color": "#1864ab", "line-width": 1 } }, "aoi-fill");
  map.addLayer({ id: "scenes-picked", type: "fill", source: "scenes", paint: { "fill-color": "#1864ab", "fill-opacity": 0.35 }, filter: ["in", ["get", "id"], ["literal", []]] }, "aoi-fill");
  map.on("click", "scenes-fill", (e) => {
    if (state.draw.getMode() === "static") pickScene(e.features[0].properties.id);
  });
  startDrawing(map);
  state.scenes = new Set(($("scenes").value || "").split(",").filter(Boolean));
  if (config.geometry) setArea(JSON.parse(config.geometry), true);
  state.ready = true;
});

$("aoi-file").addEventListener("change", upload);
$("find-scenes").addEventListener("click", findScenes);
$("find-passes").addEventListener("click", findPasses);
$("product").addEventListener("change", showKind);
for (const id of ["start", "end", "view", "cloud", "incidence"]) $(id).addEventListener("change", requote);
showKind();
