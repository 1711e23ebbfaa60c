// 一屏知全城: the command dashboard. Draws the unit polygons with Leaflet (no tiles unless
// configured), the charts with ECharts, and refreshes every few seconds without reloading.
// Text that people typed (case titles) is only ever put into the page with textContent, or
// comes as HTML fragments the server escaped; ECharts tooltips built here are escaped too.
(function () {
  "use strict";
  var root = document.getElementById("dash");
  if (!root || !window.L || !window.echarts) { return; }

  var state = {
    region: Number(root.getAttribute("data-region")),
    metric: "open",
    grain: "day",
    geo: {},        // region id -> GeoJSON (boundaries change rarely: fetched once per page)
    figures: {},    // child unit id -> {open, red, yellow, name}
    drawn: null,    // region id whose children are on the map
    busy: false
  };
  var refreshMs = Math.max(5, Number(root.getAttribute("data-refresh")) || 30) * 1000;
  var PALETTES = {
    open: ["#e6effa", "#b3cff0", "#74a9e0", "#3a82c9", "#0b5cad", "#06356a"],
    red: ["#fde7e7", "#f8b4b4", "#ef7b7b", "#dd3c3c", "#b42318", "#6f0f0f"]
  };
  var EMPTY = "#f4f6f8";

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text != null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function withRegion(path) {
    return path + (path.indexOf("?") < 0 ? "?" : "&") + "region=" + state.region;
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        var type = r.headers.get("content-type") || "";
        if (r.ok && type.indexOf("json") >= 0) { return r.json(); }
        if (r.redirected || r.status === 401) {  // the login lapsed: log in again, come back
          location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
        }
        throw new Error("HTTP " + r.status + " " + url);
      });
  }
  function fragment(path, target) {
    var url = withRegion(path);
    if (window.htmx) {
      // Each fragment is its own source: htmx drops a request while its source has one in
      // flight, and without a source every call would share <body>.
      return window.htmx.ajax("GET", url, { source: target, target: target, swap: "innerHTML" });
    }
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.text(); })
      .then(function (html) { document.querySelector(target).innerHTML = html; });  // escaped by the server
  }

  // -- the map ---------------------------------------------------------------------------
  var tiles = root.getAttribute("data-tiles");
  var map = L.map("dash-map", { attributionControl: !!tiles, zoomSnap: 0.25 });
  if (tiles) {
    L.tileLayer(tiles, { attribution: root.getAttribute("data-tiles-attribution") || "" }).addTo(map);
  }
  map.setView([30, 110], 4);
  var areaLayer = null;
  map.createPane("cases").style.zIndex = 450;  // case points above the unit polygons
  var pointLayer = L.layerGroup().addTo(map);

  function maxOf(metric) {
    var m = 0;
    Object.keys(state.figures).forEach(function (k) { m = Math.max(m, state.figures[k][metric] || 0); });
    return m;
  }
  function colour(value, max) {
    if (!value) { return EMPTY; }
    var p = PALETTES[state.metric];
    return p[Math.min(p.length - 1, Math.ceil(value / max * (p.length - 1)))];
  }
  function style(feature) {
    var f = state.figures[feature.properties.id] || {};
    var max = maxOf(state.metric);
    var single = feature.properties.level === "grid" && state.drawn === feature.properties.id;
    return {
      color: "#33475b", weight: single ? 2 : 1, opacity: 0.9,
      fillColor: single ? "#dbe7f3" : colour(f[state.metric] || 0, max),
      fillOpacity: tiles ? 0.6 : 0.9
    };
  }
  function tip(props) {
    var f = state.figures[props.id] || {};
    var box = el("div", null, "map-tip");
    box.appendChild(el("b", props.name));
    if (f.open !== undefined) {
      box.appendChild(el("div", "未结 " + f.open + " · 红灯 " + f.red + " · 黄灯 " + f.yellow));
    }
    return box;
  }
  function drawAreas(regionId, geojson) {
    if (areaLayer) { map.removeLayer(areaLayer); }
    state.drawn = regionId;
    areaLayer = L.geoJSON(geojson, {
      style: style,
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(function () { return tip(feature.properties); }, { sticky: true });
        layer.on("click", function () {
          if (feature.properties.id !== state.region) { drill(feature.properties.id); }
        });
        layer.on("mouseover", function () { layer.setStyle({ weight: 3 }); });
        layer.on("mouseout", function () { areaLayer.resetStyle(layer); });
      }
    }).addTo(map);
    var bounds = areaLayer.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [12, 12] }); }
  }
  function legend() {
    var box = document.getElementById("map-legend");
    box.textContent = "";
    if (state.pointsShown) {
      box.appendChild(el("span", "网格内未结案件"));
      box.appendChild(swatch("#d92d20", "红灯（超期）"));
      box.appendChild(swatch("#f0b429", "黄灯（临期）"));
      box.appendChild(swatch("#0b5cad", "正常"));
      return;
    }
    var max = maxOf(state.metric);
    box.appendChild(el("span", state.metric === "open" ? "未结案件数" : "红灯案件数"));
    var p = PALETTES[state.metric];
    box.appendChild(swatch(EMPTY, "0"));
    for (var i = 1; i < p.length && max > 0; i++) {
      var lo = Math.floor((i - 1) / (p.length - 1) * max) + 1;
      var hi = Math.floor(i / (p.length - 1) * max);
      if (hi >= lo) { box.appendChild(swatch(p[i], lo === hi ? String(lo) : lo + "–" + hi)); }
    }
  }
  function swatch(colourValue, label) {
    var s = el("span", label, "swatch");
    var dot = el("i");
    dot.style.background = colourValue;
    s.insertBefore(dot, s.firstChild);
    return s;
  }
  function drawPoints(points) {
    pointLayer.clearLayers();
    points.forEach(function (p) {
      var c = p.warning === "red" ? "#d92d20" : (p.warning === "yellow" ? "#f0b429" : "#0b5cad");
      var m = L.circleMarker([p.lat, p.lon], { pane: "cases", radius: 7, color: "#fff", weight: 2, fillColor: c, fillOpacity: 1 });
      var box = el("div", null, "map-tip");
      box.appendChild(el("b", p.number));
      box.appendChild(el("div", p.title));
      m.bindTooltip(box);
      m.on("click", function () { location.href = "/work/cases/" + p.id; });
      pointLayer.addLayer(m);
    });
  }
  function crumbs(list) {
    var nav = document.getElementById("dash-crumbs");
    nav.textContent = "";
    list.forEach(function (r, i) {
      if (i) { nav.appendChild(el("span", "›", "sep")); }
      var a = el("a", r.name);
      a.href = "/dashboard?region=" + r.id;
      a.setAttribute("data-region", r.id);
      nav.appendChild(a);
    });
  }
  function loadMap() {
    var regionId = state.region;
    return getJSON(withRegion("/dashboard/data/map")).then(function (data) {
      if (regionId !== state.region) { return; }  // the user drilled on meanwhile
      state.figures = {};
      data.units.forEach(function (u) { state.figures[u.id] = u; });
      document.getElementById("dash-title").textContent = data.region.name;
      document.title = "指挥大屏 · " + data.region.name + " · zhili 市域社会治理平台";
      document.getElementById("map-level").textContent =
        data.child_level_zh ? "按" + data.child_level_zh : "网格内未结案件";
      crumbs(data.breadcrumb);
      drawPoints(data.points);
      state.pointsShown = !data.child_level;
      legend();
      if (state.drawn === regionId && areaLayer) { areaLayer.setStyle(style); return; }
      var cached = state.geo[regionId];
      var ready = cached ? Promise.resolve(cached) : getJSON(data.geojson);
      return ready.then(function (geojson) {
        state.geo[regionId] = geojson;
        if (regionId === state.region) { drawAreas(regionId, geojson); }
      });
    });
  }

  // -- charts ----------------------------------------------------------------------------
  var charts = {};
  ["trend", "category", "channel", "rank"].forEach(function (name) {
    charts[name] = echarts.init(document.getElementById("chart-" + name));
  });
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (k) { charts[k].resize(); });
  });
  var BASE = { textStyle: { fontFamily: "inherit" }, animationDuration: 300 };

  function loadTrend() {
    var span = state.grain === "day" ? 30 : 12;
    return getJSON(withRegion("/dashboard/data/trend?grain=" + state.grain + "&span=" + span)).then(function (d) {
      var labels = d.buckets.map(function (b) { return state.grain === "day" ? b.slice(5) : b.slice(0, 7); });
      charts.trend.setOption(Object.assign({}, BASE, {
        tooltip: { trigger: "axis" },
        legend: { data: ["受理", "办结"], top: 0 },
        grid: { left: 40, right: 16, top: 30, bottom: 28 },
        xAxis: { type: "category", data: labels },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: "受理", type: "line", data: d.intake, areaStyle: { opacity: 0.15 } },
          { name: "办结", type: "line", data: d.closed }
        ]
      }), true);
    });
  }
  function pie(chart, slices) {
    chart.setOption(Object.assign({}, BASE, {
      tooltip: { trigger: "item", formatter: function (p) { return esc(p.name) + "：" + p.value + "件（" + p.percent + "%）"; } },
      legend: { type: "scroll", orient: "vertical", right: 0, top: "middle" },
      series: [{
        type: "pie", radius: ["38%", "68%"], center: ["38%", "50%"], avoidLabelOverlap: true,
        label: { show: false },
        data: slices.map(function (s) { return { name: s.name, value: s.count }; })
      }]
    }), true);
  }
  function loadMix() {
    return getJSON(withRegion("/dashboard/data/mix")).then(function (d) {
      pie(charts.category, d.categories);
      pie(charts.channel, d.channels);
    });
  }
  function pct(v) { return v == null ? "—" : v.toFixed(1) + "%"; }
  function loadRank() {
    return getJSON(withRegion("/dashboard/data/rankings")).then(function (d) {
      document.getElementById("rank-caption").textContent =
        d.month + (d.published ? "（已发布）" : "（本月实时）") + (d.level_zh ? " · 下辖" + d.level_zh : "");
      var ranked = d.units.filter(function (u) { return u.score != null; }).slice(0, 30).reverse();
      var box = document.getElementById("chart-rank");
      var height = Math.max(160, Math.min(620, 40 + ranked.length * 28)) + "px";
      if (box.style.height !== height) { box.style.height = height; charts.rank.resize(); }
      charts.rank.setOption(Object.assign({}, BASE, {
        tooltip: {
          trigger: "axis", axisPointer: { type: "shadow" },
          formatter: function (ps) {
            var u = ranked[ps[0].dataIndex];
            return esc(u.name) + (u.rank ? "（第" + u.rank + "名）" : "") + "<br>综合得分 " + u.score +
              "<br>响应率 " + pct(u.rates.response_rate) + " · 解决率 " + pct(u.rates.resolution_rate) +
              " · 满意率 " + pct(u.rates.satisfaction_rate) + "<br>案件 " + u.cases;
          }
        },
        grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min - 5)); }, max: 100 },
        yAxis: { type: "category", data: ranked.map(function (u) { return u.name; }) },
        series: [{ type: "bar", barMaxWidth: 26, data: ranked.map(function (u) { return u.score; }), label: { show: true, position: "right" },
          itemStyle: { color: "#0b5cad" } }]
      }), true);
      if (!ranked.length) {
        charts.rank.clear();
        charts.rank.setOption({ title: { text: "本月暂无可排名单位", left: "center", top: "middle", textStyle: { fontSize: 14, color: "#7b8794" } } });
      }
      deptTable(d.departments);
    });
  }
  function deptTable(rows) {
    var box = document.getElementById("dept-rank");
    box.textContent = "";
    if (!rows.length) { return; }
    box.appendChild(el("h3", "职能部门"));
    var table = el("table");
    var head = el("tr");
    ["名次", "部门", "得分", "响应率", "解决率", "满意率", "案件"].forEach(function (h) { head.appendChild(el("th", h)); });
    table.appendChild(el("thead")).appendChild(head);
    var body = el("tbody");
    rows.forEach(function (r) {
      var tr = el("tr");
      [r.rank || "—", r.name, r.score == null ? "—" : r.score, pct(r.rates.response_rate),
        pct(r.rates.resolution_rate), pct(r.rates.satisfaction_rate), r.cases].forEach(function (v) {
        tr.appendChild(el("td", v));
      });
      if (r.note) { tr.title = r.note; }
      body.appendChild(tr);
    });
    table.appendChild(body);
    box.appendChild(table);
  }

  // -- refreshing and drilling ----------------------------------------------------------
  function stamp() {
    // Beijing time, like every time the server shows, whatever the screen's own zone.
    document.getElementById("dash-updated").textContent = new Date().toLocaleTimeString(
      "zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  }
  function refresh() {
    if (state.busy || document.hidden) { return; }
    state.busy = true;
    var jobs = [loadMap(), loadTrend(), loadMix(), loadRank(),
      fragment("/dashboard/fragments/counters", "#dash-counters"),
      fragment("/dashboard/fragments/red", "#dash-red"),
      fragment("/dashboard/fragments/insights", "#dash-insights")];
    Promise.all(jobs.map(function (j) { return Promise.resolve(j).catch(function (e) { console.warn(e); }); }))
      .then(function () { stamp(); state.busy = false; });
  }
  function drill(regionId, push) {
    state.region = Number(regionId);
    if (push !== false) { history.pushState({ region: state.region }, "", "/dashboard?region=" + state.region); }
    state.busy = false;
    refresh();
  }
  document.getElementById("dash-crumbs").addEventListener("click", function (ev) {
    var a = ev.target.closest("a[data-region]");
    if (a) { ev.preventDefault(); drill(a.getAttribute("data-region")); }
  });
  window.addEventListener("popstate", function (ev) {
    var id = ev.state && ev.state.region;
    if (!id) { id = Number(new URLSearchParams(location.search).get("region")) || Number(root.getAttribute("data-region")); }
    drill(id, false);
  });
  root.querySelectorAll("[data-metric]").forEach(function (b) {
    b.addEventListener("click", function () {
      state.metric = b.getAttribute("data-metric");
      root.querySelectorAll("[data-metric]").forEach(function (x) { x.classList.toggle("on", x === b); });
      if (areaLayer) { areaLayer.setStyle(style); }
      legend();
    });
  });
  root.querySelectorAll("[data-grain]").forEach(function (b) {
    b.addEventListener("click", function () {
      state.grain = b.getAttribute("data-grain");
      root.querySelectorAll("[data-grain]").forEach(function (x) { x.classList.toggle("on", x === b); });
      loadTrend();
    });
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
  history.replaceState({ region: state.region }, "", location.href);
  refresh();
  setInterval(refresh, refreshMs);
})();
