/// The dashboard's script (see `DashboardPage` for the rules it keeps): it polls
/// `/v1/dashboard` every two seconds and redraws every part from the answer. Every
/// name, text and figure goes in with `textContent`, `createTextNode` or
/// `setAttribute`; nothing is parsed as markup. Drawn elements carry `data-*`
/// attributes (figures shown, warnings, points, surges) so that a headless browser test
/// can tell what was drawn.
enum DashboardScript {
    static let source = #"""
        const colours = ["#1f77b4","#ff7f0e","#2ca02c","#d62728","#9467bd","#8c564b","#e377c2","#7f7f7f","#bcbd22","#17becf"];
        const W = 900, H = 260, P = 36;
        const SVG = "http://www.w3.org/2000/svg";
        function el(tag, attrs, text) {
          const e = document.createElementNS(SVG, tag);
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
        // A token given as /#token=... is kept for this tab only and taken out of the
        // address bar at once, so it is not left in the history, a screenshot or a shared link.
        const given = new URLSearchParams(location.hash.slice(1)).get("token");
        if (given) {
          try { sessionStorage.setItem("sluice-token", given); } catch (e) {}
          history.replaceState(null, "", location.pathname + location.search);
        }
        let token = given;
        if (!token) { try { token = sessionStorage.getItem("sluice-token"); } catch (e) {} }
        const isNum = v => typeof v === "number" && isFinite(v);
        // Sub-millisecond figures in µs: a passthrough stage takes a few.
        function ms(us) {
          if (!isNum(us)) return "–";
          if (us < 1000) return us.toFixed(0) + " µs";
          const v = us / 1000;
          return (v < 10 ? v.toFixed(1) : v.toFixed(0)) + " ms";
        }
        function clock(us) { return new Date(us / 1000).toLocaleTimeString(); }
        function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

        // A line chart: series of [x, y] points, and markers (vertical lines at x with a text).
        function draw(svg, series, yMin, yMax, digits, markers) {
          clear(svg);
          markers = markers || [];
          const xs = series.flatMap(s => s.points.map(p => p[0])).concat(markers.map(m => m.x));
          let points = 0;
          svg.setAttribute("data-surges", String(markers.length));
          if (xs.length === 0) { svg.setAttribute("data-points", "0"); svg.appendChild(el("text", {x: P, y: H / 2}, "no data yet")); return; }
          const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
          const sx = x => P + (x - x0) / (x1 - x0) * (W - 2 * P);
          const sy = y => H - P - (y - yMin) / (yMax - yMin || 1) * (H - 2 * P);
          for (const t of [yMin, (yMin + yMax) / 2, yMax]) {
            svg.appendChild(el("line", {x1: P, x2: W - P, y1: sy(t), y2: sy(t), stroke: "#eee"}));
            svg.appendChild(el("text", {x: 2, y: sy(t) + 4, "font-size": 10}, t.toFixed(digits)));
          }
          svg.appendChild(el("text", {x: P, y: H - 8, "font-size": 10}, new Date(x0 * 1000).toLocaleTimeString()));
          svg.appendChild(el("text", {x: W - P, y: H - 8, "font-size": 10, "text-anchor": "end"}, new Date(x1 * 1000).toLocaleTimeString()));
          markers.forEach(m => {
            const g = el("g", {class: "marker"});
            g.appendChild(el("line", {x1: sx(m.x), x2: sx(m.x), y1: P - 10, y2: H - P, stroke: "#c00", "stroke-dasharray": "4 3"}));
            g.appendChild(el("text", {x: sx(m.x) + 3, y: P - 12, "font-size": 10, fill: "#c00"}, m.text));
            svg.appendChild(g);
          });
          series.forEach(s => {
            const d = s.points.map(p => sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1)).join(" ");
            svg.appendChild(el("polyline", {points: d, fill: "none", stroke: s.colour, "stroke-width": 2, "data-label": s.name}));
            s.points.forEach(p => svg.appendChild(el("circle", {cx: sx(p[0]), cy: sy(p[1]), r: 2.5, fill: s.colour})));
            points += s.points.length;
          });
          svg.setAttribute("data-points", String(points));
        }

        function legend(node, series) {
          node.replaceChildren(...series.map(s => {
            const span = html("span"), swatch = html("i");
            swatch.style.background = s.colour;
            span.append(swatch, document.createTextNode(s.name));
            return span;
          }));
        }

        // The workflow as a row of boxes: the input topic, each stage, the output topic;
        // an arrow per hop, labelled with its delay.
        function drawGraph(svg, wf) {
          clear(svg);
          const BW = 230, BH = 118, GAP = 124, TW = 96, Y = 34;
          const nodes = [{id: "input", w: TW, topic: wf.input}].concat(
            wf.stages.map(s => ({id: s.name, w: BW, stage: s})), [{id: "output", w: TW, topic: wf.output}]);
          let x = 8;
          const at = {};
          nodes.forEach(n => { n.x = x; at[n.id] = n; x += n.w + GAP; });
          const width = x - GAP + 8;
          svg.setAttribute("viewBox", "0 0 " + width + " " + (BH + Y + 30));
          const defs = el("defs");
          const marker = el("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto"});
          marker.appendChild(el("path", {d: "M0,0 L10,5 L0,10 z", fill: "#555"}));
          defs.appendChild(marker);
          svg.appendChild(defs);
          const mid = Y + BH / 2;
          function edge(from, to, name, lines, figures) {
            const a = at[from], b = at[to];
            if (!a || !b) return;
            const g = el("g", {class: "edge", "data-edge": name, "data-figures": String(figures)});
            const x1 = a.x + a.w, x2 = b.x;
            if (b.x > a.x && Math.abs(x2 - x1 - GAP) < 1) {
              g.appendChild(el("line", {x1: x1, y1: mid, x2: x2 - 2, y2: mid, stroke: "#555", "stroke-width": 1.5, "marker-end": "url(#arrow)"}));
            } else {
              // Not neighbours (a branching workflow): an arc above the boxes.
              const top = Y - 24;
              g.appendChild(el("path", {d: `M${a.x + a.w / 2},${Y} Q${(a.x + b.x + b.w) / 2},${top} ${b.x + b.w / 2},${Y}`, fill: "none", stroke: "#555", "marker-end": "url(#arrow)"}));
            }
            lines.forEach((line, i) => g.appendChild(el("text", {x: (x1 + x2) / 2, y: mid - 8 - 13 * (lines.length - 1 - i), "font-size": 10.5, "text-anchor": "middle"}, line)));
            svg.appendChild(g);
          }
          nodes.forEach(n => {
            if (n.topic !== undefined) {
              const g = el("g", {class: "topic", "data-topic": n.topic});
              g.appendChild(el("rect", {x: n.x, y: mid - 18, width: n.w, height: 36, rx: 18, fill: "#eef", stroke: "#88a"}));
              g.appendChild(el("text", {x: n.x + n.w / 2, y: mid + 4, "font-size": 11, "text-anchor": "middle"}, n.topic));
              svg.appendChild(g);
              return;
            }
            const s = n.stage;
            const warn = s.warnings.length > 0;
            let figures = 0;
            const fig = (v, text) => { if (isNum(v)) figures += 1; return isNum(v) ? text : "–"; };
            const processed = isNum(s.processed) && s.processed > 0;
            const lines = [
              fig(s.throughput, isNum(s.throughput) ? s.throughput.toFixed(1) + " events/s" : ""),
              "processing p50 " + (processed ? ms(s.processing_p50_us) : "–") + " · p99 " + (processed ? ms(s.processing_p99_us) : "–"),
              "batch " + fig(processed ? s.batch_size_mean : null, isNum(s.batch_size_mean) ? s.batch_size_mean.toFixed(1) : "") +
                " · lag " + fig(s.lag, String(s.lag)),
              "replicas " + fig(s.replicas_live, String(s.replicas_live)) + " live / " +
                fig(s.replicas_needed, String(s.replicas_needed)) + " advised",
            ];
            if (processed) figures += 2;
            const g = el("g", {class: "stage", "data-stage": s.name, "data-figures": String(figures), "data-warning": warn ? s.warnings.join("; ") : ""});
            g.appendChild(el("rect", {x: n.x, y: Y, width: n.w, height: BH, rx: 6, fill: warn ? "#fff0c2" : "#eef7ee", stroke: warn ? "#d08c00" : "#4a9a5a", "stroke-width": warn ? 3 : 1.5}));
            g.appendChild(el("text", {x: n.x + 8, y: Y + 18, "font-weight": "bold", "font-size": 13}, s.name));
            g.appendChild(el("text", {x: n.x + n.w - 8, y: Y + 18, "font-size": 10, "text-anchor": "end", fill: "#666"}, s.task));
            lines.forEach((line, i) => g.appendChild(el("text", {x: n.x + 8, y: Y + 38 + 16 * i, "font-size": 11}, line)));
            if (warn) g.appendChild(el("text", {x: n.x + 8, y: Y + BH - 8, "font-size": 10.5, fill: "#a00", "font-weight": "bold"}, "⚠ " + s.warnings.join("; ")));
            svg.appendChild(g);
          });
          wf.edges.forEach(e => {
            const known = isNum(e.delay_p50_us) && isNum(e.count) && e.count > 0;
            edge(e.from, e.to, e.from + "→" + e.to, ["delay p50 " + (known ? ms(e.delay_p50_us) : "–"), "p99 " + (known ? ms(e.delay_p99_us) : "–")], known ? 2 : 0);
          });
          const last = wf.stages.find(s => s.output === wf.output);
          const e2e = wf.end_to_end_us;
          const known = e2e && isNum(e2e.count) && e2e.count > 0;
          if (last) edge(last.name, "output", last.name + "→output", ["end-to-end p50 " + (known ? ms(e2e.p50) : "–"), "p99 " + (known ? ms(e2e.p99) : "–")], known ? 2 : 0);
        }

        function alertText(a) {
          const subject = a.subject ? " (" + a.subject + ")" : "";
          return a.rule + subject + ": " + (isNum(a.value) ? a.value.toFixed(2) : "?") + " above " + a.threshold;
        }

        function drawAlerts(alerts) {
          const firing = document.getElementById("alerts-firing");
          firing.setAttribute("data-count", String(alerts.firing.length));
          firing.replaceChildren(...(alerts.firing.length ? alerts.firing.map(a => {
            const li = html("li", alertText(a) + ", since " + clock(a.at));
            li.setAttribute("data-rule", a.rule);
            return li;
          }) : [html("li", "none firing")]));
          const rows = alerts.history.slice(-50).reverse().map(a => {
            const row = html("tr");
            row.setAttribute("data-rule", a.rule);
            row.setAttribute("class", a.state);
            for (const cell of [clock(a.at), a.rule, a.subject || "", a.state, isNum(a.value) ? a.value.toFixed(2) : "?", String(a.threshold)])
              row.appendChild(html("td", cell));
            return row;
          });
          document.querySelector("#alert-history tbody").replaceChildren(...rows);
        }

        // null: no autoscaler runs beside this gateway (only `sluice up --autoscale` runs one).
        function drawScaling(decisions) {
          const table = document.getElementById("scaling");
          table.setAttribute("data-count", String(decisions ? decisions.length : 0));
          const rows = decisions === null ? [[ "", "", "", "autoscaling is off (sluice up --autoscale turns it on)"]]
            : decisions.length === 0 ? [["", "", "", "no change yet: every stage matches its advice"]]
            : decisions.slice().reverse().map(s => [clock(s.at), s.stage, s.from + " → " + s.to, s.reason]);
          table.querySelector("tbody").replaceChildren(...rows.map(cells => {
            const row = html("tr");
            for (const cell of cells) row.appendChild(html("td", cell));
            return row;
          }));
        }

        function drawCanaries(canaries) {
          const node = document.getElementById("canary");
          node.setAttribute("data-count", String(canaries.length));
          if (!canaries.length) { node.replaceChildren(html("p", "no canary running")); return; }
          const table = html("table"), head = html("tr");
          for (const h of ["stage", "active head", "canary head", "compared", "agreement"]) head.appendChild(html("th", h));
          table.appendChild(head);
          canaries.forEach(c => {
            const row = html("tr");
            for (const cell of [c.stage, c.head_version, c.canary_version, String(c.compared),
                                isNum(c.agreement) ? (100 * c.agreement).toFixed(1) + "%" : "–"])
              row.appendChild(html("td", cell));
            table.appendChild(row);
          });
          node.replaceChildren(table);
        }

        function drawMonitorTrends(d) {
          const windows = d.monitor_trends;
          const labels = [...new Set(windows.map(w => w.label === null ? "all" : w.label))].sort();
          const series = key => labels.map((label, i) => ({name: label, colour: colours[i % colours.length],
            points: windows.filter(w => (w.label === null ? "all" : w.label) === label).map(w => [w.start / 1e6, w[key]])}));
          const surges = d.alerts.history.filter(a => a.state === "firing" && a.rule.startsWith("negative-surge:"))
            .map(a => ({x: a.at / 1e6, text: "surge: " + (a.subject || a.rule.slice("negative-surge:".length))}));
          draw(document.getElementById("monitor-score-chart"), series("mean_score"), -1, 1, 1, surges);
          draw(document.getElementById("monitor-negative-chart"), series("negative_share"), 0, 1, 1, surges);
          legend(document.getElementById("monitor-legend"), series("mean_score"));
        }

        async function refresh() {
          try {
            const r = await fetch("/v1/dashboard", {cache: "no-store", headers: token ? {Authorization: "Bearer " + token} : {}});
            if (r.status === 401 || r.status === 403) {
              document.getElementById("status").textContent = "this gateway needs a token with scope read: open this page as /#token=TOKEN";
              return;
            }
            const d = await r.json();
            drawGraph(document.getElementById("workflow-graph"), d.workflow);
            drawAlerts(d.alerts);
            drawScaling(d.scaling === undefined ? null : d.scaling);
            drawCanaries(d.workflow.canaries);
            drawMonitorTrends(d);
            const m = d.monitor;
            document.getElementById("monitor-status").textContent = !m.topics.length
              ? "the workflow names no monitor topics (its monitor: section)"
              : (isNum(d.workflow.at)
                ? `monitor figures over the last ${d.workflow.window_s} s, published ${clock(d.workflow.at)}`
                : "no figures from the monitor yet: is `sluice monitor` running?") +
                `; ${m.records} records read from ${m.topics.join(", ")}` + (m.following ? "" : " (reconnecting)");

            const labels = d.labels.length ? d.labels : ["all"];
            const trend = labels.map((label, i) => ({name: label, colour: colours[i % colours.length],
              points: d.trends.filter(w => w.label === label).map(w => [w.start / 1e6, w.mean_score])}));
            draw(document.getElementById("trend-chart"), trend, -1, 1, 1);
            legend(document.getElementById("trend-legend"), trend);
            const maxMs = Math.max(10, ...d.latency.map(s => s.p99_ms));
            draw(document.getElementById("latency-chart"), [
              {name: "p50", colour: "#1f77b4", points: d.latency.map(s => [s.at / 1e6, s.p50_ms])},
              {name: "p99", colour: "#d62728", points: d.latency.map(s => [s.at / 1e6, s.p99_ms])}], 0, maxMs * 1.1, 0);
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
        """#
}
