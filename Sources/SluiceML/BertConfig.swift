import Foundation
import SluiceJSON

/// The dimensions from the model's `config.json`.
struct BertConfig: Sendable {
    var hidden = 384
    var layers = 6
    var heads = 12
    var intermediate = 1536
    var maxPositions = 512
    var vocabSize = 30522
    var layerNormEps: Float = 1e-12
    var headDim: Int { hidden / heads }

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError(path: path, problem: "cannot read model config")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(Array(data)) } catch {
            throw ModelError(path: path, problem: "config is not valid JSON (\(error))")
        }
        func int(_ key: String) throws -> Int {
            guard let v = json[key]?.intValue, v > 0 else {
                throw ModelError(path: path, problem: "config lacks a positive integer \"\(key)\"")
            }
            return v
        }
        hidden = try int("hidden_size")
        layers = try int("num_hidden_layers")
        heads = try int("num_attention_heads")
        intermediate = try int("intermediate_size")
        maxPositions = try int("max_position_embeddings")
        vocabSize = try int("vocab_size")
        if let eps = json["layer_norm_eps"]?.doubleValue { layerNormEps = Float(eps) }
        guard hidden % heads == 0, hidden % 16 == 0, intermediate % 16 == 0, headDim % 16 == 0 else {
            throw ModelError(path: path, problem: "unsupported dimensions (hidden \(hidden), heads \(heads))")
        }
    }
}
