// Map picker: draws the city's own grid polygons (no internet tiles) and writes the chosen
// point into the form's lon/lat fields. <div class="map" data-picker data-lon=… data-lat=…>
(function () {
  "use strict";
  function setup(el) {
    var form = el.closest("form");
    var lon = form.querySelector('input[name="lon"]');
    var lat = form.querySelector('input[name="lat"]');
    var label = form.querySelector("[data-picked]");
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
    var marker = null;
    function pick(latlng, from) {
      lon.value = latlng.lng.toFixed(6);
      lat.value = latlng.lat.toFixed(6);
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
      if (label) { label.textContent = "已选位置：" + lon.value + ", " + lat.value + (from ? "（" + from + "）" : ""); }
    }
    fetch(el.getAttribute("data-geojson") || "/web/geo/grids.geojson", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          // thousands of grids (a whole city) draw far faster on one canvas than as SVG
          renderer: data.features.length > 500 ? L.canvas() : undefined,
          style: { color: "#0b5cad", weight: 1, fillOpacity: 0.08 },
          onEachFeature: function (f, l) {
            l.bindTooltip(f.properties.name);
            l.on("click", function (ev) { pick(ev.latlng, f.properties.name); });
          }
        }).addTo(map);
        if (data.features.length) { map.fitBounds(layer.getBounds()); } else { map.setView([30, 114], 11); }
        if (lon.value && lat.value) { pick(L.latLng(+lat.value, +lon.value)); }
      });
    map.on("click", function (ev) { pick(ev.latlng); });
    var here = form.querySelector("[data-locate]");
    if (here) {
      here.addEventListener("click", function () {
        if (!navigator.geolocation) { alert("此设备不支持定位，请在地图上点选"); return; }
        navigator.geolocation.getCurrentPosition(function (pos) {
          var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
          pick(ll, "当前位置"); map.setView(ll, Math.max(map.getZoom(), 15));
        }, function () { alert("无法获取当前位置，请在地图上点选"); }, { enableHighAccuracy: true, timeout: 10000 });
      });
    }
    // Address search results (HTMX fragment) carry data-lon/data-lat: clicking one picks it.
    form.addEventListener("click", function (ev) {
      var hit = ev.target.closest("[data-address-lon]");
      if (!hit) { return; }
      ev.preventDefault();
      var ll = L.latLng(+hit.getAttribute("data-address-lat"), +hit.getAttribute("data-address-lon"));
      var addr = form.querySelector('input[name="address"]');
      if (addr) { addr.value = hit.getAttribute("data-address-text"); }
      pick(ll, "地址"); map.setView(ll, Math.max(map.getZoom(), 16));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-picker]").forEach(setup);
  });
})();
