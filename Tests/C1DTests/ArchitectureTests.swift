import Foundation
import CC1DKernels
import Testing

@testable import C1D

@Suite("PyTorch fixtures")
struct ArchitectureTests {
  @Test("the seed's example: nn_conv1d(16, 33, 3, stride = 2) on (20, 16, 50)")
  func seedExample() throws {
    let model = try Model(contentsOf: Fixtures.path("seed/model.c1d"))
    let input = try Fixtures.npy("seed/input.npy")
    let expected = try Fixtures.npy("seed/expected.npy")
    let output = try model(input)
    #expect(output.shape == [20, 33, 24])
    #expect(try model.shapes(forInputLength: 50)[model.graph.outputs[0]]?.dimensions == [33, 24])
    let error = relativeError(output, expected)
    print("seed: max relative error \(error)")
    #expect(error <= tolerance)
  }

  static let architectures = Fixtures.subdirectories("architectures")

  @Test("real architectures, loaded and run on 1 and on 2 threads, match PyTorch at every ISA", arguments: architectures, [1, 2])
  func architecture(name: String, threads: Int) throws {
    let model = try Model(contentsOf: Fixtures.path("architectures/\(name)/model.c1d"), threads: threads)
    let input = try Fixtures.npy("architectures/\(name)/input.npy")
    let expected = try Fixtures.npy("architectures/\(name)/expected.npy")
    for kernels in KernelConfig.supported {
      let output = try model.run([model.graph.inputs[0].name: input], threads: threads, kernels: kernels)[model.graph.outputs[0]]!
      #expect(output.shape == expected.shape)
      let error = relativeError(output, expected)
      print("\(name) kernels \(kernels.name) threads \(threads): max relative error \(error)")
      #expect(error <= tolerance, "\(name) at ISA \(kernels.name)")
    }
  }

  static let ops = Fixtures.subdirectories("ops")

  @Test("every op (activations, pads, slices, concat, norms, pools, linear, unbatched, gated units, k3 output pairs at stride 1 and 2) matches PyTorch", arguments: ops, [1, 2])
  func op(name: String, threads: Int) throws {
    let model = try Model(contentsOf: Fixtures.path("ops/\(name)/model.c1d"))
    let input = try Fixtures.npy("ops/\(name)/input.npy")
    let expected = try Fixtures.npy("ops/\(name)/expected.npy")
    for kernels in KernelConfig.supported {
      let output = try model.run([model.graph.inputs[0].name: input], threads: threads, kernels: kernels)[model.graph.outputs[0]]!
      #expect(output.shape == expected.shape)
      let error = relativeError(output, expected)
      print("ops/\(name) kernels \(kernels.name) threads \(threads): max relative error \(error)")
      #expect(error <= tolerance, "\(name) at ISA \(kernels.name)")
    }
  }

  @Test("every fixture folder is complete: a model, an input and PyTorch's output")
  func fixturesComplete() {
    #expect(!Self.architectures.isEmpty)
    #expect(!Self.ops.isEmpty)
    for folder in Self.architectures.map({ "architectures/\($0)" }) + Self.ops.map({ "ops/\($0)" }) {
      for file in ["model.c1d", "input.npy", "expected.npy"] {
        #expect(FileManager.default.fileExists(atPath: Fixtures.path("\(folder)/\(file)")), "\(folder)/\(file)")
      }
    }
  }
}

@Suite("Planner fusions")
struct FusionTests {
  func ops(_ path: String) throws -> (nodes: [String], steps: [String]) {
    let model = try Model(contentsOf: Fixtures.path(path))
    return (model.graph.nodes.map(\.op.name), model.plan.steps.map(\.node.op.name))
  }

  @Test("WaveNet's causal pads fold into its convolutions; the gate's tanh·sigmoid runs in conv epilogues")
  func waveNet() throws {
    let (nodes, steps) = try ops("architectures/wavenet/model.c1d")
    #expect(nodes.filter { $0 == "pad" }.count == 18)
    #expect(!steps.contains("pad"))
    #expect(!steps.contains("tanh") && !steps.contains("sigmoid"))
    #expect(steps.count < nodes.count / 2)
  }

  @Test("a sum of conv outputs is accumulated conv by conv: each WaveNet skip conv adds the running sum")
  func skipSumAccumulates() throws {
    let steps = try Model(contentsOf: Fixtures.path("architectures/wavenet/model.c1d")).plan.steps
    // No step waits for more than the value it convolves and one operand (the first skip conv took all
    // 17 adds as its epilogue, and every skip output stayed alive until the last skip conv had run).
    let widest = steps.max { $0.inputs.count < $1.inputs.count }!
    #expect(widest.inputs.count <= 2, "step \(widest.node.name) reads \(widest.inputs.count) values")
    let skips = steps.filter { $0.node.name.hasPrefix("skips.") }
    #expect(skips.count == 18)
    #expect(skips.dropFirst().allSatisfy { $0.inputs.count == 2 && $0.covered.count >= 2 }, "each adds its output to the sum so far")
    // Each runs within its own layer, though the adds it took come at the end of the graph.
    let order = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($1.node.name, $0) })
    for k in 0..<17 { #expect(order["skips.\(k)"]! < order["filters.\(k + 1)"]!, "skips.\(k)") }
  }

  @Test("a gated unit of two alike convs runs as one conv; unlike convs stay apart")
  func gatedUnits() throws {
    let wavenet = try ops("architectures/wavenet/model.c1d")
    let convs = { (names: [String]) in names.filter { $0 == "conv1d" }.count }
    #expect(convs(wavenet.steps) == convs(wavenet.nodes) - 18)
    let gated = try ops("ops/gated/model.c1d")
    #expect(convs(gated.nodes) == 6 && convs(gated.steps) == 4)
  }

  /// Folding is deferred to the kernel's making: each norm's scale must still multiply each row in turn,
  /// one float product per norm, as scaling the weights in place did.
  @Test("folded batch norms scale each output channel's weights in turn; a gate's weights follow the conv's")
  func foldedWeights() {
    let w = randomValues(2 * 6, seed: 5)
    let (s1, s2): ([Float], [Float]) = ([0.5, 3.1], [1.7, -0.3])
    let expected = w.enumerated().map { i, v in v * s1[i / 6] * s2[i / 6] }
    #expect(Fusion.ConvChain.weights(w, [], scaledBy: [s1, s2]) == expected)
    #expect(Fusion.ConvChain.weights(w, [], scaledBy: [s1]) == w.enumerated().map { i, v in v * s1[i / 6] })
    #expect(Fusion.ConvChain.weights(w, [1, 2], scaledBy: []) == w + [1, 2])
    #expect(Fusion.ConvChain.weights(w, [], scaledBy: []) == w)
  }

  /// (N, C, L) normalised per group of channels over time (`groups`), or over channels per time step (nil).
  static func normalized(_ x: [Float], n: Int, c: Int, l: Int, groups: Int?, eps: Double) -> [Double] {
    var y = [Double](repeating: 0, count: x.count)
    let sets: [[Int]] =
      groups.map { g in
        (0..<n * g).map { unit in
          let (sample, group) = unit.quotientAndRemainder(dividingBy: g)
          return (0..<c / g * l).map { sample * c * l + group * (c / g) * l + $0 }
        }
      } ?? (0..<n * l).map { unit in
        let (sample, t) = unit.quotientAndRemainder(dividingBy: l)
        return (0..<c).map { sample * c * l + $0 * l + t }
      }
    for set in sets {
      let mean = set.reduce(0.0) { $0 + Double(x[$1]) } / Double(set.count)
      let variance = set.reduce(0.0) { $0 + (Double(x[$1]) - mean) * (Double(x[$1]) - mean) } / Double(set.count)
      for i in set { y[i] = (Double(x[i]) - mean) / (variance + eps).squareRoot() }
    }
    return y
  }

  @Test("a group or layer norm's sole activation runs on its rows as they are normalised; a shared norm output does not fuse")
  func normActivation() throws {
    let (n, c, l) = (2, 6, 37)
    let x = try Tensor(shape: [n, c, l], values: randomValues(n * c * l, seed: 9).map { $0 * 3 + 0.5 })
    let gelu = { (v: Double) in 0.5 * v * (1 + erf(v / 2.0.squareRoot())) }
    let relu = { (v: Double) in max(v, 0) }
    for (groups, shared) in [(3, false), (nil, false), (3, true)] as [(Int?, Bool)] {
      var builder = ModelBuilder(channels: c)
      let norm =
        groups.map { builder.groupNorm(builder.input, groups: $0, channels: c) } ?? builder.layerNorm(builder.input, channels: c)
      let activated = groups == nil ? builder.relu(norm) : builder.apply(.gelu(), norm)
      let model = try builder.build(outputs: shared ? [activated, norm] : [activated])
      let steps = model.plan.steps.map(\.node.op.name)
      #expect(steps.count == (shared ? 2 : 1), "\(steps)")
      let expected = Self.normalized(x.values, n: n, c: c, l: l, groups: groups, eps: 1e-5).map(groups == nil ? relu : gelu)
      let outputs = try model.run([model.graph.inputs[0].name: x])
      #expect(allClose(outputs[activated]!.values, expected, tolerance: 1e-5), "groups \(String(describing: groups))")
      if groups == nil {
        // Layer norm streams frame by frame: the fused step too.
        #expect(allClose(try streamed(model, x, chunks: [5, 11], output: activated).values, expected, tolerance: 1e-5))
      }
    }
  }

  @Test("a TCN's chomp slices fold into causal padding; batch norm folds into weights")
  func chompAndBatchNorm() throws {
    #expect(!(try ops("architectures/tcn/model.c1d").steps.contains("slice")))
    let quartz = try ops("architectures/quartznet_block/model.c1d")
    #expect(quartz.nodes.contains("batch_norm") && !quartz.steps.contains("batch_norm"))
  }
}
