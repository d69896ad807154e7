// The background of every DINAMIS map, shared by the tiler's web map and the portal's maps:
// a plain sea with Natural Earth's country outlines (vendored world-atlas, no base-map
// server), navigation and scale. `ready` resolves once the map has loaded, its outline
// layers first, so that what a page adds is drawn above them.
window.dinamisBasemap = (outlinesUrl, { zoom = 4.6, scale = true } = {}) => {
  const map = new maplibregl.Map({
    container: "map",
    style: {
      version: 8,
      sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": "#dde8f0" } }],
    },
    center: [2.5, 46.6],
    zoom,
    attributionControl: { compact: true, customAttribution: "Outlines: Natural Earth" },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  if (scale) map.addControl(new maplibregl.ScaleControl(), "bottom-left");
  const ready = new Promise((resolve) => {
    map.on("load", () => {
      map.addSource("countries", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "countries-fill", type: "fill", source: "countries", paint: { "fill-color": "#f6f4ee" } });
      map.addLayer({
        id: "countries-line", type: "line", source: "countries",
        paint: { "line-color": "#a9a294", "line-width": 0.6 },
      });
      fetch(outlinesUrl)
        .then((response) => {
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          return response.json();
        })
        .then((topology) => {
          map.getSource("countries").setData(topojson.feature(topology, topology.objects.countries));
        })
        .catch((error) => console.warn("country outlines unavailable", error));
      resolve(map);
    });
  });
  return { map, ready };
};
