import Foundation
import Testing

@testable import C1D

/// Bad arguments to the public API are typed errors that say what to do, never traps or silent
/// acceptance.
@Suite("Public API arguments")
struct PublicAPITests {
  static func seed() throws -> Model { try Model(contentsOf: Fixtures.path("seed/model.c1d")) }

  @Test("threads below 1 are refused", arguments: [0, -1, Int.min])
  func badThreads(threads: Int) throws {
    let model = try Self.seed()
    let x = try Tensor(shape: [1, 16, 50], repeating: 1)
    #expect(throws: C1DError.invalidInput("threads must be at least 1, got \(threads); pass nil to use every core")) {
      try model.run([model.graph.inputs[0].name: x], threads: threads)
    }
  }

  @Test("a negative memory limit is refused")
  func badMemoryLimit() throws {
    let model = try Self.seed()
    let x = try Tensor(shape: [1, 16, 50], repeating: 1)
    #expect(throws: C1DError.invalidInput("memoryLimit must be a number of bytes ≥ 0, got -1")) {
      try model.run([model.graph.inputs[0].name: x], memoryLimit: -1)
    }
  }

  @Test("flops(shapes:) with missing shapes is an error naming the value, not a trap")
  func flopsWithoutShapes() throws {
    let model = try Self.seed()
    let error = #expect(throws: C1DError.self) { try model.flops(shapes: [:]) }
    #expect(error?.description.contains("no shape for value") == true)
    let flops = try model.flops(forInputLength: 50)
    // nn_conv1d(16, 33, 3, stride 2) on 50 samples: 24 outputs × 33 channels × (2·16·3 + 1).
    let expected = 24 * 33 * (2 * 16 * 3 + 1)
    #expect(flops.values.reduce(0, +) == expected)
  }

  @Test("the minimum input length follows the shape rules")
  func minimumLength() throws {
    #expect(try Self.seed().minimumInputLength == 3)
    var rng = SeededGenerator(seed: 1)
    var builder = ModelBuilder(channels: 1)
    var x = builder.input
    // wav2vec 2.0's feature encoder: kernels 10, 3×4, 2×2 at strides 5, 2×4, 2×2: 400 samples.
    for (index, (k, s)) in [(10, 5), (3, 2), (3, 2), (3, 2), (3, 2), (2, 2), (2, 2)].enumerated() {
      x = builder.conv1d(try Conv1d(inChannels: index == 0 ? 1 : 4, outChannels: 4, kernelSize: k, stride: s, using: &rng), x)
    }
    let model = try builder.build(outputs: [x])
    #expect(model.minimumInputLength == 400)
    #expect(throws: C1DError.self) { try model.shapes(forInputLength: 399) }
    _ = try model.shapes(forInputLength: 400)
  }

  @Test("a too-short input's error also states the model's minimum length")
  func tooShortSaysMinimum() throws {
    let model = try Self.seed()
    let error = #expect(throws: C1DError.self) { try model(Tensor(shape: [1, 16, 2], repeating: 0)) }
    #expect(error?.description.hasSuffix("this model needs inputs of at least 3 samples") == true)
  }

  @Test("an empty batch is refused as such")
  func emptyBatch() throws {
    let model = try Self.seed()
    #expect(throws: C1DError.invalidInput("input 'input': batch size must be at least 1, got an input of shape [0, 16, 50]")) {
      try model(Tensor(shape: [0, 16, 50], repeating: 0))
    }
  }

  @Test("the caller's load limits reach validation")
  func limitsHonoured() throws {
    let bytes = try Files.read(Fixtures.path("seed/model.c1d"))
    var limits = LoadLimits.default
    limits.maxHyperparameter = 20
    #expect(throws: C1DError.limitExceeded(what: "node '0' out_channels", limit: 20, actual: 33)) {
      try Model(bytes: bytes, limits: limits)
    }
  }

  @Test("ModelBuilder's typed conveniences build what they say")
  func builderConveniences() throws {
    var builder = ModelBuilder(channels: 2)
    let two = builder.constant(try Tensor(shape: [1, 1], values: [2]))
    let doubled = builder.combine(.mul, builder.input, two)
    let snake = builder.snake(doubled, alpha: try Tensor(shape: [2], values: [1, 0.5]), scale: try Tensor(shape: [2], values: [1, 2]))
    let normed = builder.batchNorm(
      snake, mean: try Tensor(shape: [2], values: [0.5, -1]), variance: try Tensor(shape: [2], values: [4, 1]), eps: 0)
    let pooled = builder.apply(.flatten, builder.apply(.globalAvgPool1d, normed))
    let y = builder.linear(pooled, weight: try Tensor(shape: [1, 2], values: [1, -1]), bias: try Tensor(shape: [1], values: [0.25]))
    let model = try builder.build(outputs: [y])
    let x: [Float] = [0.1, -0.4, 0.3, 0.7, -0.2, 0.05]
    let output = try model(Tensor(shape: [1, 2, 3], values: x))
    // By hand: per channel, mean over time of (2x + scale·sin²(alpha·2x) − mean) / std, then the linear layer.
    func channel(_ c: Int, alpha: Double, scale: Double, mean: Double, std: Double) -> Double {
      x[(c * 3)..<(c * 3 + 3)].map { v -> Double in
        let d = 2 * Double(v)
        let s = Foundation.sin(alpha * d)
        return (d + scale * s * s - mean) / std
      }.reduce(0, +) / 3
    }
    let expected = channel(0, alpha: 1, scale: 1, mean: 0.5, std: 2) - channel(1, alpha: 0.5, scale: 2, mean: -1, std: 1) + 0.25
    #expect(output.shape == [1, 1])
    #expect(Swift.abs(Double(output.values[0]) - expected) < 1e-5)
  }

  @Test("a wrong parameter role lists the valid ones")
  func wrongRole() throws {
    var builder = ModelBuilder(channels: 2)
    let y = builder.add(.relu, [builder.input], parameters: ["weight": try Tensor(shape: [2], values: [1, 1])])
    let error = #expect(throws: C1DError.self) { try builder.build(outputs: [y]) }
    #expect(error?.description == "node 'relu_0': parameter 'relu_0.weight' expected no parameters for op relu, got a 'weight' parameter")
    var conv = ModelBuilder(channels: 2)
    let z = conv.add(.conv1d(Conv1dAttributes(inChannels: 2, outChannels: 2, kernelSize: 1, bias: false)), [conv.input],
      parameters: ["weight": try Tensor(shape: [2, 2, 1], repeating: 1), "gain": try Tensor(shape: [2], repeating: 1)])
    let second = #expect(throws: C1DError.self) { try conv.build(outputs: [z]) }
    #expect(second?.description == "node 'conv1d_0': parameter 'conv1d_0.gain' expected only 'weight' for op conv1d, got a 'gain' parameter")
  }

  @Test("runs of varying lengths get their own shapes, across the shape cache's capacity")
  func shapeCacheFollowsLengths() throws {
    let model = try Self.seed()
    for length in [50, 60, 50] + Array(3...40) + [50, 3] {
      let y = try model(Tensor(shape: [1, 16, length], repeating: 1))
      #expect(y.shape == [1, 33, (length - 3) / 2 + 1], "length \(length)")
    }
    #expect(throws: C1DError.self) { try model(Tensor(shape: [1, 16, 2], repeating: 1)) }
    #expect(throws: C1DError.self) { try model(Tensor(shape: [1, 16, 2], repeating: 1)) }
  }
}

@Suite("Profiling")
struct ProfilingTests {
  @Test("a profile has one row per step, and its FLOPs add up to the model's", arguments: ["wavenet", "tcn", "ecg_resnet"])
  func profileCoversTheModel(name: String) throws {
    let model = try Model(contentsOf: Fixtures.path("architectures/\(name)/model.c1d"))
    let input = model.inputs[0]
    let length = try Fixtures.npy("architectures/\(name)/input.npy").shape.last!
    let timings = try model.profile(try Tensor(shape: [2, input.channels, length], repeating: 0.5), threads: 1, runs: 1)
    #expect(timings.count == model.plan.steps.count)
    #expect(timings.allSatisfy { $0.milliseconds >= 0 && $0.nodes.contains($0.node) })
    let expected = try model.flops(forInputLength: length).values.reduce(0, +) * 2
    #expect(timings.reduce(0) { $0 + $1.flops } == expected)
    // Every node is computed by exactly one step, except zero pads absorbed into convolutions.
    let covered = timings.flatMap(\.nodes)
    #expect(covered.count == Set(covered).count)
    #expect(Set(model.graph.nodes.map(\.name)).subtracting(covered).allSatisfy { name in
      model.graph.nodes.first { $0.name == name }?.op.name == "pad"
    })
  }

  @Test("profile refuses what run refuses")
  func profileChecksInput() throws {
    let model = try Model(contentsOf: Fixtures.path("seed/model.c1d"))
    #expect(throws: C1DError.self) { try model.profile(try Tensor(shape: [1, 3, 50], repeating: 0)) }
    #expect(throws: C1DError.self) { try model.profile(try Tensor(shape: [1, 16, 50], repeating: 0), runs: 0) }
  }
}
