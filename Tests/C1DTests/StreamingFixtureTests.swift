import Foundation
import Testing

@testable import C1D

@Suite("Streaming the PyTorch fixtures")
struct StreamingFixtureTests {
  static let folders = Fixtures.subdirectories("architectures").map { "architectures/\($0)" }
    + Fixtures.subdirectories("ops").map { "ops/\($0)" }

  /// Fixtures that need the whole time axis, with the node and the reason the refusal must name.
  static let refused: [String: (node: String, reason: String)] = [
    "architectures/conv_tasnet": ("blocks.0.norm1", "GroupNorm"),
    "architectures/wav2vec2_feature_encoder": ("layers.1", "GroupNorm"),
    "ops/norms_pools_linear": ("gn", "GroupNorm"),
    "ops/pad_slice_concat": ("pad_2", "circular"),
    "ops/stride1_pairs": ("2", "circular"),
    "ops/stride2_pairs": ("2", "circular"),
    "ops/unbatched_conv": ("0", "circular"),
    "ops/v11_broadcast_binary": ("sub_1", "whole signal"),
    "ops/v11_glu_time": ("glu_0", "glu over time"),
    "ops/v11_reductions_softmax": ("div_9", "whole signal"),
    "ops/v11_shape_ops": ("narrow_6", "narrow along time"),
  ].merging(
    // Transposed convolutions do not stream yet; each fixture's first one is named.
    Fixtures.subdirectories("ops").filter { $0.hasPrefix("conv_transpose_") }.map {
      ("ops/\($0)", (node: $0 == "conv_transpose_stack" ? "conv_transpose1d_1" : "conv_transpose1d_0", reason: "upsamples in time"))
    }
  ) { a, _ in a }

  static let streamable = folders.filter { refused[$0] == nil }

  @Test("every streamable fixture equals the offline run and PyTorch, in chunks of 1, primes, bursts and whole", arguments: streamable)
  func streams(folder: String) throws {
    let model = try Model(contentsOf: Fixtures.path("\(folder)/model.c1d"))
    let input = try Fixtures.npy("\(folder)/input.npy")
    let expected = try Fixtures.npy("\(folder)/expected.npy")
    try expectStreamMatchesOffline(
      model, input, label: folder, patterns: [[Int.max], ChunkPatterns.primes, ChunkPatterns.bursts, ChunkPatterns.random(seed: 7)])
    // Against PyTorch too, at the tolerance the offline tests use.
    let online = try streamed(model, input, chunks: ChunkPatterns.primes, threads: 2)
    #expect(online.shape == expected.shape)
    if online.shape == expected.shape { #expect(relativeError(online, expected) <= tolerance, "\(folder)") }
  }

  @Test("single frames: every streamable fixture, one frame per push", arguments: streamable)
  func singleFrames(folder: String) throws {
    let model = try Model(contentsOf: Fixtures.path("\(folder)/model.c1d"))
    var input = try Fixtures.npy("\(folder)/input.npy")
    // One frame at a time is slow in a debug build: a prefix long enough for every edge.
    let length = input.shape.last!
    var keep = min(length, max(model.minimumInputLength ?? 1, 300))
    // Not every length fits (the ECG ResNet's ceil-mode pools must agree with its strided convs).
    while keep < length, (try? model.shapes(forInputLength: keep)) == nil { keep += 1 }
    input = prefix(input, keep)
    try expectStreamMatchesOffline(model, input, label: folder, patterns: [ChunkPatterns.ones])
  }

  @Test("fixtures that need the whole time axis are refused, naming the node and why", arguments: refused.keys.sorted())
  func refusals(folder: String) throws {
    let model = try Model(contentsOf: Fixtures.path("\(folder)/model.c1d"))
    let (node, reason) = Self.refused[folder]!
    #expect {
      _ = try model.makeStream()
    } throws: { error in
      guard case .cannotStream(let n, let r) = error as? C1DError else { return false }
      return n == node && r.contains(reason) && "\(error)".contains("node '\(node)' cannot stream")
    }
  }

  @Test("causal models have latency 0; each output frame comes as soon as its last input frame")
  func latency() throws {
    for (folder, latency) in [("architectures/tcn", 0), ("architectures/wavenet", 0), ("architectures/whisper_front", 2)] {
      let model = try Model(contentsOf: Fixtures.path("\(folder)/model.c1d"))
      var stream = try model.makeStream(threads: 1)
      #expect(stream.latency == latency, "\(folder)")
      let input = try Fixtures.npy("\(folder)/input.npy")
      let rows = input.shape.dropLast().reduce(1, *)
      let length = input.shape.last!
      var emitted = 0
      for t in 0..<min(length, 40) {
        let frame = (0..<rows).map { input.values[$0 * length + t] }
        let y = try stream.push(Tensor(shape: Array(input.shape.dropLast()) + [1], values: frame))
        emitted += y.shape.last!
        // Output frame u is due once input frame stride·u + latency has arrived.
        let due = t >= stream.latency ? (t - stream.latency) / stream.stride + 1 : 0
        #expect(emitted == due, "\(folder) after input frame \(t)")
      }
    }
  }

  @Test("the receptive field: 1 + the frames each causal layer looks back")
  func receptiveField() throws {
    let wavenet = try Model(contentsOf: Fixtures.path("architectures/wavenet/model.c1d"))
    let pads = wavenet.graph.nodes.compactMap { $0.op.attributes(as: PadAttributes.self)?.left }
    #expect(try wavenet.makeStream().receptiveField == 1 + pads.reduce(0, +))
    let tcn = try Model(contentsOf: Fixtures.path("architectures/tcn/model.c1d"))
    let looks = tcn.graph.nodes.compactMap { $0.op.attributes(as: Conv1dAttributes.self) }.map { ($0.kernelSize - 1) * $0.dilation }
    #expect(try tcn.makeStream().receptiveField == 1 + looks.reduce(0, +))
  }
}

/// The first `length` frames of a `(C, L)` or `(N, C, L)` tensor.
func prefix(_ x: Tensor, _ length: Int) -> Tensor {
  let full = x.shape.last!
  let rows = x.values.count / full
  var values: [Float] = []
  for r in 0..<rows { values += x.values[r * full..<r * full + length] }
  return Tensor(uncheckedShape: Array(x.shape.dropLast()) + [length], values: values)
}
