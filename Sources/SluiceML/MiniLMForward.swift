import Foundation

extension MiniLMEncoder {
    /// The whole model on one packed chunk: texts are token ids, laid end to end as
    /// T rows (T = total tokens); row `rowsOut[i]` of `out` ([N, 384]) receives text
    /// i's embedding. `split` says whether each operation runs on one thread or two.
    /// Shapes for all-MiniLM-L6-v2 (C = 384, F = 1536, 12 heads of 32); L = one text's tokens.
    func forward(
        _ texts: [[Int32]], workspace ws: Workspace, out: UnsafeMutablePointer<Float>, rowsOut: [Int],
        split: TwoWay
    ) {
        let offsets = rowOffsets(texts)  // text i is rows offsets[i]..<offsets[i+1]
        let T = offsets.last!
        ws.reserve(tokens: T, longest: texts.map(\.count).max() ?? 1)

        embeddings(texts, offsets: offsets, x: ws.x)  // ids -> [T,384]
        for layer in weights.layers {
            // [T,384] x [384,1152] -> [T,1152]
            matmul(ws.x, layer.qkv, bias: layer.qkvB, ws.qkv, rows: T, workspace: ws, split)
            attention(ws.qkv, ws.ctx, offsets: offsets, workspace: ws, split)  // per text [L,1152] -> [L,384]
            // [T,384] x [384,384] -> [T,384]
            matmul(ws.ctx, layer.out, bias: nil, ws.tmp, rows: T, workspace: ws, split)
            addNorm(ws.x, ws.tmp, bias: layer.outB, layer.ln1, rows: T)  // x = LN(x + tmp + b): [T,384]
            // [T,384] x [384,1536] -> [T,1536]
            matmul(ws.x, layer.ffn1, bias: nil, ws.ffn, rows: T, workspace: ws, split)
            gelu(ws.ffn, bias: layer.ffn1B, rows: T)  // ffn = gelu(ffn + b): [T,1536]
            // [T,1536] x [1536,384] -> [T,384]
            matmul(ws.ffn, layer.ffn2, bias: nil, ws.tmp, rows: T, workspace: ws, split)
            addNorm(ws.x, ws.tmp, bias: layer.ffn2B, layer.ln2, rows: T)  // x = LN(x + tmp + b): [T,384]
        }
        meanPoolNormalize(ws.x, offsets: offsets, out: out, rowsOut: rowsOut)  // per text [L,384] -> [384]
    }
}
