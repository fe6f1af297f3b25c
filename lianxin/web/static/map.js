// Stations on a Leaflet map. With a tile source configured (LIANXIN_WEB_MAP_TILES) it is the base
// layer; without one the stations are drawn on a blank layer: nothing is fetched from elsewhere.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var element = document.getElementById("map");
  var data = JSON.parse(document.getElementById("stations-data").textContent || "null");
  if (!element || !window.L) { return; }
  var map = L.map(element, { keyboard: true }).setView([22.95, 113.75], 10);
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 18, attribution: "" }).addTo(map);
  }
  if (!data) { return; }
  var layer = L.geoJSON(data, {
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, { radius: 6, color: "#0b3d75", fillColor: "#0b5cad", fillOpacity: 0.8 });
    },
    onEachFeature: function (feature, marker) {
      var p = feature.properties || {};
      var text = document.createElement("div");
      text.textContent = p.name + "（" + (p.kind_zh || "") + "，" + (p.status_zh || "") + "）" + (p.jurisdiction_name || "");
      marker.bindPopup(text);
    }
  }).addTo(map);
  if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), { padding: [20, 20] }); }
});
