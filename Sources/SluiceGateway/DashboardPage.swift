/// The dashboard at `/`: one self-contained page (no script or font from elsewhere:
/// it works offline) that polls `/v1/dashboard` every two seconds and draws, as SVG,
/// the mean sentiment score per label per window and the end-to-end latency.
/// Each chart carries `data-points` (points drawn) so that a headless browser test can
/// tell a chart with data from an empty one.
enum DashboardPage {
    static func html(workflow: String) -> String {
        let name = workflow.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <title>Sluice: \(name)</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>
            body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #222; }
            h1 { font-size: 1.3rem; margin: 0 0 .3rem; } h2 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
            svg { border: 1px solid #ddd; background: #fcfcfc; width: 100%; max-width: 900px; height: 260px; }
            .legend span { display: inline-block; margin-right: 1rem; } .legend i { display: inline-block; width: 12px; height: 3px; vertical-align: middle; margin-right: 4px; }
            #status { color: #666; } table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            </style></head>
            <body>
            <h1>Sluice workflow <code>\(name)</code></h1>
            <div id="status">waiting for data…</div>
            <h2>Mean sentiment score per label (−1 negative … +1 positive), per window</h2>
            <svg id="trend-chart" viewBox="0 0 900 260" data-points="0" role="img" aria-label="sentiment per label"></svg>
            <div class="legend" id="trend-legend"></div>
            <h2>End-to-end latency (ms, last 10 s, sampled every 2 s)</h2>
            <svg id="latency-chart" viewBox="0 0 900 260" data-points="0" role="img" aria-label="latency"></svg>
            <div class="legend"><span><i style="background:#1f77b4"></i>p50</span><span><i style="background:#d62728"></i>p99</span></div>
            <h2>Latest window</h2>
            <table id="latest"><thead><tr><th>label</th><th>posts</th><th>mean score</th><th>negative</th><th>positive</th></tr></thead><tbody></tbody></table>
            <script>
            const colours = ["#1f77b4","#ff7f0e","#2ca02c","#d62728","#9467bd","#8c564b","#e377c2","#7f7f7f","#bcbd22","#17becf"];
            const W = 900, H = 260, P = 36;
            function el(tag, attrs, text) {
              const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
              for (const k in attrs) e.setAttribute(k, attrs[k]);
              if (text !== undefined) e.textContent = text;
              return e;
            }
            function draw(svg, series, yMin, yMax, unit) {
              while (svg.firstChild) svg.removeChild(svg.firstChild);
              const xs = series.flatMap(s => s.points.map(p => p[0]));
              let points = 0;
              if (xs.length === 0) { svg.setAttribute("data-points", "0"); svg.appendChild(el("text", {x: P, y: H / 2}, "no data yet")); return; }
              const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
              const sx = x => P + (x - x0) / (x1 - x0) * (W - 2 * P);
              const sy = y => H - P - (y - yMin) / (yMax - yMin || 1) * (H - 2 * P);
              for (const t of [yMin, (yMin + yMax) / 2, yMax]) {
                svg.appendChild(el("line", {x1: P, x2: W - P, y1: sy(t), y2: sy(t), stroke: "#eee"}));
                svg.appendChild(el("text", {x: 2, y: sy(t) + 4, "font-size": 10}, t.toFixed(unit === "ms" ? 0 : 1)));
              }
              series.forEach(s => {
                const d = s.points.map(p => sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1)).join(" ");
                svg.appendChild(el("polyline", {points: d, fill: "none", stroke: s.colour, "stroke-width": 2, "data-label": s.name}));
                s.points.forEach(p => svg.appendChild(el("circle", {cx: sx(p[0]), cy: sy(p[1]), r: 2.5, fill: s.colour})));
                points += s.points.length;
              });
              svg.setAttribute("data-points", String(points));
            }
            async function refresh() {
              try {
                const r = await fetch("/v1/dashboard", {cache: "no-store"});
                const d = await r.json();
                const labels = d.labels.length ? d.labels : ["all"];
                const trend = labels.map((label, i) => ({name: label, colour: colours[i % colours.length],
                  points: d.trends.filter(w => w.label === label).map(w => [w.start / 1e6, w.mean_score])}));
                draw(document.getElementById("trend-chart"), trend, -1, 1, "score");
                document.getElementById("trend-legend").innerHTML = trend.map(s => `<span><i style="background:${s.colour}"></i>${s.name}</span>`).join("");
                const maxMs = Math.max(10, ...d.latency.map(s => s.p99_ms));
                draw(document.getElementById("latency-chart"), [
                  {name: "p50", colour: "#1f77b4", points: d.latency.map(s => [s.at / 1e6, s.p50_ms])},
                  {name: "p99", colour: "#d62728", points: d.latency.map(s => [s.at / 1e6, s.p99_ms])}], 0, maxMs * 1.1, "ms");
                const lastStart = Math.max(...d.trends.map(w => w.start), 0);
                document.querySelector("#latest tbody").innerHTML = d.trends.filter(w => w.start === lastStart).map(w =>
                  `<tr><td>${w.label}</td><td>${w.count}</td><td>${w.mean_score.toFixed(2)}</td><td>${(100 * w.negative_share).toFixed(0)}%</td><td>${(100 * w.positive_share).toFixed(0)}%</td></tr>`).join("");
                const last = d.latency[d.latency.length - 1];
                document.getElementById("status").textContent = `${d.results} results, ${d.dead_letters} dead letters seen` +
                  (last ? `; p50 ${last.p50_ms.toFixed(0)} ms, p99 ${last.p99_ms.toFixed(0)} ms, ${last.events_per_s.toFixed(1)} events/s` : "") +
                  ` (${d.window_s} s windows; updated ${new Date().toLocaleTimeString()})`;
              } catch (e) {
                document.getElementById("status").textContent = "cannot reach the gateway: " + e;
              }
            }
            refresh();
            setInterval(refresh, 2000);
            </script>
            </body></html>

            """
    }
}
