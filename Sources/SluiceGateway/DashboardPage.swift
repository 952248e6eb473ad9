/// The dashboard at `/`: one self-contained page (no script or font from elsewhere:
/// it works offline) that polls `/v1/dashboard` every two seconds and draws, as SVG,
/// the mean sentiment score per label per window and the end-to-end latency.
/// Each chart carries `data-points` (points drawn) so that a headless browser test can
/// tell a chart with data from an empty one.
///
/// Label names come from workflow files and events, so they are data, not markup: the
/// script writes every label, text and figure with `textContent` (or `setAttribute`,
/// `createTextNode`), never as HTML; and the page is served with a
/// Content-Security-Policy that lets only its own script (by nonce) run and only the
/// gateway be fetched. With tokens set, the page sends the token given after `#token=`
/// in its address (the fragment never leaves the browser).
enum DashboardPage {
    /// A fresh random nonce for one response.
    static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(generator.next() as UInt64, radix: 36) }.joined()
    }

    static func contentSecurityPolicy(nonce: String) -> String {
        "default-src 'none'; script-src 'nonce-\(nonce)'; style-src 'nonce-\(nonce)'; connect-src 'self'; "
            + "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    static func html(workflow: String, nonce: String) -> String {
        let name = escaped(workflow)
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <title>Sluice: \(name)</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style nonce="\(nonce)">
            body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #222; }
            h1 { font-size: 1.3rem; margin: 0 0 .3rem; } h2 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
            svg { border: 1px solid #ddd; background: #fcfcfc; width: 100%; max-width: 900px; height: 260px; }
            .legend span { display: inline-block; margin-right: 1rem; } .legend i { display: inline-block; width: 12px; height: 3px; vertical-align: middle; margin-right: 4px; }
            #status { color: #666; } table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            .p50 { background: #1f77b4; } .p99 { background: #d62728; }
            </style></head>
            <body>
            <h1>Sluice workflow <code>\(name)</code></h1>
            <div id="status">waiting for data…</div>
            <h2>Mean sentiment score per label (−1 negative … +1 positive), per window</h2>
            <svg id="trend-chart" viewBox="0 0 900 260" data-points="0" role="img" aria-label="sentiment per label"></svg>
            <div class="legend" id="trend-legend"></div>
            <h2>End-to-end latency (ms, last 10 s, sampled every 2 s)</h2>
            <svg id="latency-chart" viewBox="0 0 900 260" data-points="0" role="img" aria-label="latency"></svg>
            <div class="legend"><span><i class="p50"></i>p50</span><span><i class="p99"></i>p99</span></div>
            <h2>Latest window</h2>
            <table id="latest"><thead><tr><th>label</th><th>posts</th><th>mean score</th><th>negative</th><th>positive</th></tr></thead><tbody></tbody></table>
            <script nonce="\(nonce)">
            const colours = ["#1f77b4","#ff7f0e","#2ca02c","#d62728","#9467bd","#8c564b","#e377c2","#7f7f7f","#bcbd22","#17becf"];
            const W = 900, H = 260, P = 36;
            function el(tag, attrs, text) {
              const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
              for (const k in attrs) e.setAttribute(k, attrs[k]);
              if (text !== undefined) e.textContent = text;
              return e;
            }
            // Plain HTML elements; `text` goes in as text, never as markup.
            function html(tag, text) {
              const e = document.createElement(tag);
              if (text !== undefined) e.textContent = text;
              return e;
            }
            const token = new URLSearchParams(location.hash.slice(1)).get("token");
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
                const r = await fetch("/v1/dashboard", {cache: "no-store", headers: token ? {Authorization: "Bearer " + token} : {}});
                if (r.status === 401 || r.status === 403) {
                  document.getElementById("status").textContent = "this gateway needs a token with scope read: open this page as /#token=TOKEN";
                  return;
                }
                const d = await r.json();
                const labels = d.labels.length ? d.labels : ["all"];
                const trend = labels.map((label, i) => ({name: label, colour: colours[i % colours.length],
                  points: d.trends.filter(w => w.label === label).map(w => [w.start / 1e6, w.mean_score])}));
                draw(document.getElementById("trend-chart"), trend, -1, 1, "score");
                const legend = document.getElementById("trend-legend");
                legend.replaceChildren(...trend.map(s => {
                  const span = html("span"), swatch = html("i");
                  swatch.style.background = s.colour;
                  span.append(swatch, document.createTextNode(s.name));
                  return span;
                }));
                const maxMs = Math.max(10, ...d.latency.map(s => s.p99_ms));
                draw(document.getElementById("latency-chart"), [
                  {name: "p50", colour: "#1f77b4", points: d.latency.map(s => [s.at / 1e6, s.p50_ms])},
                  {name: "p99", colour: "#d62728", points: d.latency.map(s => [s.at / 1e6, s.p99_ms])}], 0, maxMs * 1.1, "ms");
                const lastStart = Math.max(...d.trends.map(w => w.start), 0);
                document.querySelector("#latest tbody").replaceChildren(...d.trends.filter(w => w.start === lastStart).map(w => {
                  const row = html("tr");
                  for (const cell of [w.label, String(w.count), w.mean_score.toFixed(2), (100 * w.negative_share).toFixed(0) + "%", (100 * w.positive_share).toFixed(0) + "%"])
                    row.appendChild(html("td", cell));
                  return row;
                }));
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
