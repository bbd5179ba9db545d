import Foundation
import Testing

@testable import C1D

@Suite("Time-tiled offline runs")
struct StreamingTilingTests {
  @Test("tiled runs equal layer-by-layer runs and PyTorch, for every fixture that can stream", arguments: StreamingFixtureTests.streamable)
  func fixtures(folder: String) throws {
    let model = try Model(contentsOf: Fixtures.path("\(folder)/model.c1d"))
    let input = try Fixtures.npy("\(folder)/input.npy")
    let expected = try Fixtures.npy("\(folder)/expected.npy")
    let name = model.graph.inputs[0].name
    let layered = try model.run([name: input], threads: 2, kernels: .current, tileAbove: .max)[model.graph.outputs[0]]!
    let batched = input.shape.count == 3
    let activation = Activation(
      shape: ValueShape(channels: input.shape[batched ? 1 : 0], length: input.shape.last!), batch: batched ? input.shape[0] : 1,
      data: input.values)
    // The default tile (these inputs are shorter than one: `run` itself would not tile them).
    var why: String?
    let whole = try #require(try model.runTiled(activation, batched: batched, context: ExecutionContext(threads: 2), reason: &why))
    let tiled = Tensor(uncheckedShape: layered.shape, values: whole[0].data)
    #expect(whole[0].data.count == layered.values.count)
    #expect(relativeError(tiled, layered) <= 1e-5, "\(folder)")
    #expect(relativeError(tiled, expected) <= tolerance, "\(folder)")
    // Small and odd tiles too.
    for tile in [1, 7, 100] where input.shape.last! <= 1000 || tile > 1 {
      var reason: String?
      let out = try #require(
        try model.runTiled(activation, batched: batched, context: ExecutionContext(threads: 1), reason: &reason, tile: tile))
      #expect(out[0].data.count == layered.values.count)
      #expect(relativeError(Tensor(uncheckedShape: layered.shape, values: out[0].data), layered) <= 1e-5, "\(folder) tile \(tile)")
    }
  }

  @Test("a model whose activations exceed the memory limit runs tiled, within the limit's reach")
  func overLimit() throws {
    let model = try Model(contentsOf: Fixtures.path("architectures/wavenet/model.c1d"))
    let x = StreamingModels.input(channels: 1, length: 20_000, batch: nil, seed: 1)
    let needed = try model.activationBytes(forInputLength: 20_000)
    let limited = try model.run(["input": x], threads: 1, memoryLimit: needed / 4)[model.graph.outputs[0]]!
    let full = try model.run([model.graph.inputs[0].name: x], threads: 1, kernels: .current, tileAbove: .max)[model.graph.outputs[0]]!
    #expect(relativeError(limited, full) <= 1e-5)
  }

  @Test("a run's memory figure: layer by layer within the limit; past it, a tiled run's when the graph streams")
  func runActivationBytes() throws {
    let tcn = try Model(contentsOf: Fixtures.path("architectures/tcn/model.c1d"))
    let length = 50_000
    let layered = try tcn.activationBytes(forInputLength: length)
    #expect(try tcn.runActivationBytes(forInputLength: length, memoryLimit: layered) == layered)
    let tiled = try tcn.runActivationBytes(forInputLength: length, memoryLimit: layered - 1)
    let outputBytes = 25 * length * 4
    #expect(tiled > outputBytes && tiled < layered, "tiled \(tiled), layered \(layered)")
    // The threshold tiles as the limit does, as in `run`.
    #expect(try tcn.runActivationBytes(forInputLength: length, tileAbove: layered - 1) == tiled)
    #expect(try tcn.runActivationBytes(forInputLength: length, tileAbove: layered) == layered)
    // An input within one tile runs layer by layer whatever the threshold; one tile longer, in tiles.
    let tile = Model.tileFrames(widestChannels: 25, batch: 1)
    #expect(try tcn.runActivationBytes(forInputLength: tile, tileAbove: 0) == tcn.activationBytes(forInputLength: tile))
    #expect(try !tcn.runsTiled(forInputLength: tile, tileAbove: 0))
    #expect(try tcn.runsTiled(forInputLength: tile + 1, tileAbove: 0))
    #expect(try !tcn.runsTiled(forInputLength: length))
    #expect(try tcn.runsTiled(forInputLength: length, memoryLimit: layered - 1))
    #expect(try !wav2vec2().runsTiled(forInputLength: 16_000, memoryLimit: 1 << 20), "cannot stream")
    let x = StreamingModels.input(channels: 1, length: length, batch: nil, seed: 3)
    let limited = try tcn.run(["input": x], threads: 1, memoryLimit: tiled)[tcn.graph.outputs[0]]!
    let full = try tcn.run(["input": x], threads: 1, kernels: .current, tileAbove: .max)[tcn.graph.outputs[0]]!
    #expect(relativeError(limited, full) <= 1e-5)
    // A graph that cannot stream is counted layer by layer whatever the limit.
    let whole = try wav2vec2().activationBytes(forInputLength: 16_000)
    #expect(try wav2vec2().runActivationBytes(forInputLength: 16_000, memoryLimit: 1 << 20) == whole)
  }

  private func wav2vec2() throws -> Model {
    try Model(contentsOf: Fixtures.path("architectures/wav2vec2_feature_encoder/model.c1d"))
  }

  @Test("the memory-limit refusal stays for graphs that cannot be tiled, and says why")
  func refusal() throws {
    let model = try Model(contentsOf: Fixtures.path("architectures/wav2vec2_feature_encoder/model.c1d"))
    let x = StreamingModels.input(channels: 1, length: 16_000, batch: nil, seed: 2)
    #expect {
      _ = try model.run([model.graph.inputs[0].name: x], threads: 1, memoryLimit: 1 << 20)
    } throws: { error in
      guard case .limitExceeded(let what, let limit, _) = error as? C1DError else { return false }
      return limit == 1 << 20 && what.contains("cannot run in time tiles") && what.contains("node 'layers.1' cannot stream: GroupNorm")
    }
  }
}
