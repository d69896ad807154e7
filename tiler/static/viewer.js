// DINAMIS web map: search the STAC API, draw footprints, show an item's tiles from the tiler
// and offer the clip of the current view for download. Plain JS, no build step, no network
// access beyond the two services named in the page's configuration.
//
// Licensed imagery: the user pastes a DINAMIS API key, kept in sessionStorage (this tab only);
// the page trades it for a short-lived access token (POST /auth/token on the STAC API) and adds
// that token, never the key, to tilejson, tile and clip URLs. `/viewer?collection=…&item=…`
// opens on that item.
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("dinamis-config").textContent);
  // Both URLs may be relative to the page; an empty tiler URL is the server of the page.
  const stacApi = new URL(`${config.stacApiUrl || "."}/`, window.location.href);
  const tiler = new URL(`${config.tilerUrl || "."}/`, window.location.href);
  // This script's own folder, where the vendored files are.
  const staticBase = new URL(".", document.currentScript.src);

  const TILE_MATRIX_SET = "WebMercatorQuad";
  const PAGE_SIZE = 100;
  const COG_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized";
  const KEY_STORAGE = "dinamis-api-key";
  // A token is renewed this long before it expires, so that tiles never meet an expired one.
  const TOKEN_MARGIN_MS = 60_000;

  const $ = (id) => document.getElementById(id);
  const form = $("search-form");
  const statusLine = $("status");
  const resultList = $("results");
  const moreButton = $("more");
  const selection = $("selection");
  const renderSelect = $("render");
  const download = $("download");
  const downloadHelp = $("download-help");
  const keyInput = $("api-key");
  const keyHelp = $("key-help");
  const forgetKey = $("forget-key");

  const state = {
    features: [], // STAC items of the current search, in the order received
    next: null, // the "next" link of the last page, if any
    lastBody: null, // the body of the last POST /search, for links that merge into it
    selected: null, // the STAC item whose tiles are shown
    tilejson: null,
    collectionRenders: new Map(), // collection id -> its render extension entries
  };
  const auth = {
    key: sessionStorage.getItem(KEY_STORAGE), // the user's API key, for this tab only
    token: null, // the current access token and when it expires (ms)
    expires: 0,
    renewal: null, // timer re-showing the tiles with a fresh token before expiry
  };

  // -- map ---------------------------------------------------------------------------------

  const { map, ready: mapReady } = dinamisBasemap(
    new URL("vendor/world-atlas/countries-110m.json", staticBase),
  );

  mapReady.then(() => {
    map.addSource("footprints", { type: "geojson", data: emptyCollection() });
    map.addLayer({
      id: "footprints-fill", type: "fill", source: "footprints",
      paint: { "fill-color": "#1864ab", "fill-opacity": 0.12 },
    });
    map.addLayer({
      id: "footprints-line", type: "line", source: "footprints",
      paint: { "line-color": "#1864ab", "line-width": 1.5 },
    });
    map.addLayer({
      id: "footprints-selected", type: "line", source: "footprints",
      filter: ["==", ["get", "key"], ""],
      paint: { "line-color": "#d9480f", "line-width": 3 },
    });

    map.on("click", "footprints-fill", (event) => {
      const keys = event.features.map((f) => f.properties.key);
      // Clicking again where footprints overlap goes through them one after the other.
      const current = state.selected ? keyOf(state.selected) : null;
      const key = keys[(keys.indexOf(current) + 1) % keys.length];
      const item = state.features.find((f) => keyOf(f) === key);
      if (item) selectItem(item, { fit: false });
    });
    map.on("mouseenter", "footprints-fill", () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", "footprints-fill", () => { map.getCanvas().style.cursor = ""; });
    map.on("moveend", updateDownload);
    map.on("error", (event) => {
      if (event.sourceId === "item-tiles") showStatus(`Tile error: ${describe(event.error)}`, true);
    });
  });

  // -- form --------------------------------------------------------------------------------

  $("cloud").addEventListener("input", () => { $("cloud-value").value = $("cloud").value; });
  $("use-view").addEventListener("click", () => {
    const b = map.getBounds();
    $("bbox").value = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map((v) => round(v, 4)).join(", ");
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    runSearch().catch((error) => showStatus(`Search failed: ${describe(error)}`, true));
  });
  moreButton.addEventListener("click", () => {
    fetchPage(state.next).catch((error) => showStatus(`Search failed: ${describe(error)}`, true));
  });
  renderSelect.addEventListener("change", refreshTiles);
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    useKey(keyInput.value.trim());
  });
  forgetKey.addEventListener("click", () => useKey(""));
  forgetKey.hidden = !auth.key;

  start();

  async function start() {
    try {
      await loadCollections();
    } catch (error) {
      showStatus(`STAC API unreachable: ${describe(error)}`, true);
      return;
    }
    const linked = new URLSearchParams(window.location.search);
    if (linked.get("collection") && linked.get("item")) {
      openItem(linked.get("collection"), linked.get("item"))
        .catch((error) => showStatus(`Cannot open ${linked.get("item")}: ${describe(error)}`, true));
    }
  }

  // The item a link from the catalogue names (its "viewer" link): footprint, then tiles.
  async function openItem(collection, id) {
    showStatus(`Opening ${id}…`);
    const path = `collections/${encodeURIComponent(collection)}/items/${encodeURIComponent(id)}`;
    const item = await getJson(new URL(path, stacApi), { headers: { Accept: "application/geo+json" } });
    $("collection").value = collection;
    state.features = [item];
    state.next = null;
    await mapReady;
    drawFootprints();
    renderResults();
    showStatus(`${item.id} (${item.collection}).`);
    selectItem(item, { fit: true });
  }

  async function loadCollections() {
    const body = await getJson(new URL("collections", stacApi));
    const select = $("collection");
    for (const collection of body.collections) {
      select.append(new Option(collection.title || collection.id, collection.id));
      if (collection.renders) state.collectionRenders.set(collection.id, collection.renders);
    }
  }

  function searchBody() {
    const body = { limit: PAGE_SIZE };
    const collection = $("collection").value;
    if (collection) body.collections = [collection];
    const bboxText = $("bbox").value.trim();
    if (bboxText) {
      const bbox = bboxText.split(",").map(Number);
      if (bbox.length !== 4 || bbox.some(Number.isNaN) || bbox[0] >= bbox[2] || bbox[1] >= bbox[3]) {
        throw new Error("the area must be four numbers: west, south, east, north");
      }
      body.bbox = bbox;
    }
    const start = $("start").value;
    const end = $("end").value;
    if (start || end) {
      body.datetime = `${start ? `${start}T00:00:00Z` : ".."}/${end ? `${end}T23:59:59Z` : ".."}`;
    }
    const cloud = Number($("cloud").value);
    if (cloud < 100) {
      body["filter-lang"] = "cql2-json";
      body.filter = { op: "<=", args: [{ property: "eo:cloud_cover" }, cloud] };
    }
    return body;
  }

  async function runSearch() {
    const body = searchBody();
    state.features = [];
    state.next = null;
    clearSelection();
    renderResults();
    await fetchPage({ href: new URL("search", stacApi).href, method: "POST", body });
  }

  async function fetchPage(link) {
    showStatus("Searching…");
    let init = { headers: { Accept: "application/geo+json" } };
    if ((link.method || "GET").toUpperCase() === "POST") {
      const body = link.merge ? { ...state.lastBody, ...link.body } : link.body;
      state.lastBody = body;
      init = {
        method: "POST",
        headers: { ...init.headers, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      };
    }
    const page = await getJson(link.href, init);
    state.features.push(...page.features);
    state.next = (page.links || []).find((l) => l.rel === "next") || null;
    await mapReady;
    drawFootprints();
    renderResults();
    if (page.features.length) showExtent(page.features);
    const matched = page.numberMatched ?? page.context?.matched;
    const shown = state.features.length;
    showStatus(shown === 0 ? "No image matches."
      : `${shown} image${shown > 1 ? "s" : ""}${matched != null ? ` of ${matched}` : ""} found. `
        + "Click a footprint or a result to see the image.");
  }

  function drawFootprints() {
    map.getSource("footprints").setData({
      type: "FeatureCollection",
      features: state.features.map((item) => ({
        type: "Feature",
        geometry: item.geometry,
        properties: { key: keyOf(item) },
      })),
    });
  }

  // Bring the results into view when some lie outside it or are too small in it to be seen.
  function showExtent(items) {
    const extent = new maplibregl.LngLatBounds();
    for (const item of items) {
      if (item.bbox) extent.extend(bbox2d(item));
    }
    if (extent.isEmpty()) return;
    const view = map.getBounds();
    const outside = !view.contains(extent.getSouthWest()) || !view.contains(extent.getNorthEast());
    const tiny = extent.getEast() - extent.getWest() < (view.getEast() - view.getWest()) / 10
      && extent.getNorth() - extent.getSouth() < (view.getNorth() - view.getSouth()) / 10;
    if (outside || tiny) map.fitBounds(extent, { padding: 40, maxZoom: 14, duration: 0 });
  }

  function renderResults() {
    resultList.replaceChildren(...state.features.map((item) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.key = keyOf(item);
      button.setAttribute("aria-pressed", String(item === state.selected));
      const title = document.createElement("span");
      title.textContent = item.id;
      const meta = document.createElement("span");
      meta.className = "meta";
      const cloud = item.properties["eo:cloud_cover"];
      meta.textContent = [
        (item.properties.datetime || item.properties.start_datetime || "").slice(0, 10),
        cloud != null ? `${round(cloud, 1)} % cloud` : null,
        item.collection,
      ].filter(Boolean).join(" · ");
      button.append(title, document.createElement("br"), meta);
      button.addEventListener("click", () => selectItem(item, { fit: true }));
      const li = document.createElement("li");
      li.append(button);
      return li;
    }));
    moreButton.hidden = !state.next;
  }

  // -- selected item: tiles and download ---------------------------------------------------

  function selectItem(item, { fit }) {
    state.selected = item;
    state.tilejson = null;
    for (const button of resultList.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.key === keyOf(item)));
    }
    map.setFilter("footprints-selected", ["==", ["get", "key"], keyOf(item)]);
    $("selection-title").textContent = item.id;
    selection.hidden = false;

    // "Default" sends no layer parameter: the tiler applies the item's default render.
    renderSelect.replaceChildren(new Option("Default", ""));
    for (const [name, render] of Object.entries(rendersOf(item))) {
      renderSelect.append(new Option(render.title || name, name));
    }

    if (fit && item.bbox) map.fitBounds(bbox2d(item), { padding: 40, duration: 0 });
    updateDownload();
    refreshTiles();
  }

  function clearSelection() {
    state.selected = null;
    state.tilejson = null;
    selection.hidden = true;
    removeTiles();
    if (map.getLayer("footprints-selected")) {
      map.setFilter("footprints-selected", ["==", ["get", "key"], ""]);
    }
  }

  function dataAsset(item) {
    if (item.assets.data) return "data";
    const cog = Object.entries(item.assets).find(([, asset]) => asset.type === COG_TYPE);
    return cog ? cog[0] : "data";
  }

  function itemPath(item) {
    return `collections/${encodeURIComponent(item.collection)}/items/${encodeURIComponent(item.id)}/`;
  }

  // The render extension entries of the item, else of its collection.
  function rendersOf(item) {
    return item.properties.renders || state.collectionRenders.get(item.collection) || {};
  }

  // The chosen render as titiler query parameters (titiler 2 spells band indexes inside the
  // asset: "data|bidx=1,2,3"). None for "Default" when the tiler has a render to fall back on.
  function renderParams(item) {
    const params = new URLSearchParams();
    const renders = rendersOf(item);
    const render = renders[renderSelect.value];
    if (!render) {
      if (Object.keys(renders).length === 0) params.append("assets", dataAsset(item));
      return params;
    }
    const bidx = new Map([].concat(render.asset_bidx || []).map((v) => v.split("|")));
    for (const asset of [].concat(render.assets || [dataAsset(item)])) {
      params.append("assets", bidx.has(asset) ? `${asset}|bidx=${bidx.get(asset)}` : asset);
    }
    for (const range of render.rescale || []) params.append("rescale", range.join(","));
    for (const key of ["expression", "nodata", "colormap_name", "color_formula", "resampling"]) {
      if (render[key] != null) params.set(key, render[key]);
    }
    if (render.colormap) params.set("colormap", JSON.stringify(render.colormap));
    if (render.minmax_zoom) {
      params.set("minzoom", render.minmax_zoom[0]);
      params.set("maxzoom", render.minmax_zoom[1]);
    }
    return params;
  }

  function refreshTiles() {
    showTiles().catch((error) => {
      state.tilejson = null;
      removeTiles();
      updateDownload();
      showStatus(`Cannot show the image: ${describe(error)}`, true);
    });
  }

  function removeTiles() {
    if (map.getLayer("item-tiles")) map.removeLayer("item-tiles");
    if (map.getSource("item-tiles")) map.removeSource("item-tiles");
  }

  async function showTiles() {
    const item = state.selected;
    if (!item) return;
    if (isLicensed(item) && !auth.key) {
      // Said in the page, rather than a map of failed tiles.
      state.tilejson = null;
      removeTiles();
      updateDownload();
      showStatus(`${item.id} is licensed imagery (${item.collection}): enter your DINAMIS API key `
        + "above to see it.", true);
      return;
    }
    const url = new URL(`${itemPath(item)}${TILE_MATRIX_SET}/tilejson.json`, tiler);
    url.search = renderParams(item).toString();
    url.searchParams.set("tilesize", "256");
    // The tiler copies the query into the tile URLs it lists: the token rides along.
    if (isLicensed(item)) url.searchParams.set("access_token", await accessToken());
    const tilejson = await getJson(url);
    if (state.selected !== item) return; // another item was picked meanwhile
    state.tilejson = tilejson;
    await mapReady;
    removeTiles();
    map.addSource("item-tiles", {
      type: "raster",
      tiles: tilejson.tiles,
      tileSize: 256,
      bounds: tilejson.bounds,
      minzoom: tilejson.minzoom ?? 0,
      maxzoom: tilejson.maxzoom ?? 22,
    });
    map.addLayer({ id: "item-tiles", type: "raster", source: "item-tiles" }, "footprints-fill");
    updateDownload();
    if (map.getZoom() < (tilejson.minzoom ?? 0)) {
      showStatus(`Zoom in (level ${tilejson.minzoom} or more) to see ${item.id}.`);
    }
  }

  // -- credentials -------------------------------------------------------------------------

  // Items of licensed collections advertise the STAC Authentication extension.
  function isLicensed(item) {
    return Boolean(item.properties["auth:schemes"]);
  }

  async function accessToken() {
    if (auth.token && auth.expires - TOKEN_MARGIN_MS > Date.now()) return auth.token;
    const body = await getJson(new URL("auth/token", stacApi), {
      method: "POST",
      headers: { "X-API-Key": auth.key },
    });
    auth.token = body.access_token;
    auth.expires = Date.now() + body.expires_in * 1000;
    clearTimeout(auth.renewal);
    auth.renewal = setTimeout(refreshTiles, body.expires_in * 1000 - TOKEN_MARGIN_MS);
    return auth.token;
  }

  async function useKey(key) {
    auth.key = key || null;
    auth.token = null;
    clearTimeout(auth.renewal);
    keyInput.value = "";
    if (key) {
      sessionStorage.setItem(KEY_STORAGE, key);
    } else {
      sessionStorage.removeItem(KEY_STORAGE);
    }
    forgetKey.hidden = !key;
    if (key) {
      try {
        await accessToken();
        keyHelp.textContent = "Key accepted: licensed images you are entitled to are shown.";
      } catch (error) {
        keyHelp.textContent = `Key refused: ${describe(error)}`;
        return;
      }
    } else {
      keyHelp.textContent = "Key forgotten.";
    }
    refreshTiles();
  }

  function disableDownload(reason) {
    download.removeAttribute("href");
    download.setAttribute("aria-disabled", "true");
    downloadHelp.textContent = reason;
  }

  function updateDownload() {
    const item = state.selected;
    if (!item) return;
    const view = map.getBounds();
    const [w, s, e, n] = item.bbox ? bbox2d(item) : [-180, -90, 180, 90];
    const clip = [
      Math.max(w, view.getWest()), Math.max(s, view.getSouth()),
      Math.min(e, view.getEast()), Math.min(n, view.getNorth()),
    ];
    if (clip[0] >= clip[2] || clip[1] >= clip[3]) {
      disableDownload("The image is out of view: move the map onto it.");
      return;
    }
    if (isLicensed(item) && !state.tilejson) {
      disableDownload("Licensed imagery: enter your DINAMIS API key to download.");
      return;
    }
    // Rough area: the tiler has the last word, this only spares a refused download.
    const km = 111.32;
    const area = (clip[2] - clip[0]) * km * Math.cos(((clip[1] + clip[3]) / 2) * Math.PI / 180)
      * (clip[3] - clip[1]) * km;
    const shown = area < 10 ? round(area, 2) : Math.round(area);
    if (config.maxCropKm2 && area > config.maxCropKm2) {
      disableDownload(`The view covers about ${shown} km² of the image; clips are limited to `
        + `${config.maxCropKm2} km²: zoom in.`);
      return;
    }
    const url = new URL(`${itemPath(item)}bbox/${clip.map((v) => round(v, 6)).join(",")}.tif`, tiler);
    url.searchParams.set("assets", dataAsset(item));
    // The token the tiles were fetched with (renewed with them before it expires).
    if (isLicensed(item)) url.searchParams.set("access_token", auth.token);
    download.href = url.href;
    download.setAttribute("download", `${item.id}-clip.tif`);
    download.removeAttribute("aria-disabled");
    downloadHelp.textContent = `All bands at full resolution over the part of the image in view `
      + `(about ${shown} km²).`;
  }

  // -- helpers -----------------------------------------------------------------------------

  async function getJson(url, init = {}) {
    const response = await fetch(url, init);
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const body = await response.json();
        detail = body.detail || body.description || body.code || detail;
      } catch { /* not JSON */ }
      throw new Error(`${response.status} ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
    }
    return response.json();
  }

  function bbox2d(item) {
    const b = item.bbox;
    return b.length === 6 ? [b[0], b[1], b[3], b[4]] : b;
  }
  function keyOf(item) { return `${item.collection}/${item.id}`; }
  function emptyCollection() { return { type: "FeatureCollection", features: [] }; }
  function round(value, digits) { return Number(value.toFixed(digits)); }
  function describe(error) { return (error && error.message) || String(error); }
  function showStatus(text, isError = false) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error", isError);
  }

  // For scripted checks (and the curious): the map and the page's state.
  window.dinamisViewer = { map, state, config, ready: mapReady };
})();
