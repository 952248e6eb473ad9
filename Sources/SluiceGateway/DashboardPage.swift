/// The dashboard at `/`: one self-contained page (no script or font from elsewhere:
/// it works offline) that polls `/v1/dashboard` every two seconds and draws, as SVG and
/// tables: the workflow as its graph (a box per stage with the monitor's figures and
/// the registry's live replicas, an arrow per hop with its delay, a warning colour on a
/// stage that stalls or falls behind), the alerts firing and their recent history, the
/// monitor's sentiment trends per label with surges marked, a running canary's
/// agreement, and the gateway's own view (sentiment per label, end-to-end latency).
/// Charts and boxes carry `data-*` attributes (points, figures drawn) so that a
/// headless browser test can tell drawn data from an empty page.
///
/// Label names come from workflow files and events, so they are data, not markup: the
/// script (`DashboardScript`) writes every label, text and figure with `textContent` (or
/// `setAttribute`, `createTextNode`), never as HTML; and the page is served with a
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
            svg.graph { max-width: 1200px; height: auto; min-height: 180px; }
            .note { color: #666; font-size: 12px; } .two { display: flex; gap: 3rem; flex-wrap: wrap; }
            #alerts-firing li { color: #a00; font-weight: bold; } tr.firing td { color: #a00; } tr.resolved td { color: #286; }
            </style></head>
            <body>
            <h1>Sluice workflow <code>\(name)</code></h1>
            <div id="status">waiting for data…</div>
            <h2>Workflow</h2>
            <div class="note" id="monitor-status">waiting for the monitor…</div>
            <svg id="workflow-graph" class="graph" viewBox="0 0 900 180" role="img" aria-label="the workflow's stages and hops"></svg>
            <h2>Scaling decisions (newest first)</h2>
            <table id="scaling" data-count="0"><thead><tr><th>at</th><th>stage</th><th>workers</th><th>why</th></tr></thead><tbody></tbody></table>
            <div class="two">
            <div><h2>Alerts firing</h2><ul id="alerts-firing" data-count="0"></ul></div>
            <div><h2>Canary</h2><div id="canary" data-count="0"></div></div>
            </div>
            <h2>Recent alerts (newest first)</h2>
            <table id="alert-history"><thead><tr><th>at</th><th>rule</th><th>subject</th><th>state</th><th>value</th><th>threshold</th></tr></thead><tbody></tbody></table>
            <h2>Sentiment trends from the monitor: mean score per label (−1 … +1), surges marked</h2>
            <svg id="monitor-score-chart" viewBox="0 0 900 260" data-points="0" role="img" aria-label="mean score per label"></svg>
            <h2>Negative share per label (0 … 1)</h2>
            <svg id="monitor-negative-chart" viewBox="0 0 900 260" data-points="0" role="img" aria-label="negative share per label"></svg>
            <div class="legend" id="monitor-legend"></div>
            <h2>The gateway's view: mean sentiment score per label, per window</h2>
            <svg id="trend-chart" viewBox="0 0 900 260" data-points="0" role="img" aria-label="sentiment per label"></svg>
            <div class="legend" id="trend-legend"></div>
            <h2>End-to-end latency (ms, last 10 s, sampled every 2 s)</h2>
            <svg id="latency-chart" viewBox="0 0 900 260" data-points="0" role="img" aria-label="latency"></svg>
            <div class="legend"><span><i class="p50"></i>p50</span><span><i class="p99"></i>p99</span></div>
            <h2>Latest window</h2>
            <table id="latest"><thead><tr><th>label</th><th>posts</th><th>mean score</th><th>negative</th><th>positive</th></tr></thead><tbody></tbody></table>
            <script nonce="\(nonce)">
            \(DashboardScript.source)
            </script>
            </body></html>

            """
    }
}
