import Foundation
import Testing

@testable import C1D

/// Small models built in code that put every streaming rule to work: each padding mode at both edges,
/// strides and dilations, pads and crops, pools (ceil mode, padding left out of the divisor), branches of
/// different latencies, broadcast constants, reductions over time that end the graph.
enum StreamingModels {
  static func conv(
    _ b: inout ModelBuilder, _ x: String, _ cin: Int, _ cout: Int, k: Int, s: Int = 1, p: Padding = .explicit(0), d: Int = 1,
    g: Int = 1, mode: PaddingMode = .zeros, rng: inout SeededGenerator
  ) throws -> String {
    b.conv1d(
      try Conv1d(inChannels: cin, outChannels: cout, kernelSize: k, stride: s, padding: p, dilation: d, groups: g, paddingMode: mode, using: &rng), x)
  }

  static func all() throws -> [(String, Model)] {
    var rng = SeededGenerator(seed: 11)
    var models: [(String, Model)] = []
    for mode in [PaddingMode.zeros, .reflect, .replicate] {
      var b = ModelBuilder(channels: 3)
      var y = try conv(&b, b.input, 3, 4, k: 5, s: 2, p: .explicit(2), d: 1, mode: mode, rng: &rng)
      y = b.add(.gelu(.none), [y])
      y = try conv(&b, y, 4, 4, k: 3, p: .same, d: 3, g: 2, mode: mode, rng: &rng)
      y = try conv(&b, y, 4, 2, k: 4, s: 3, p: .explicit(3), mode: mode, rng: &rng)
      models.append(("conv stack \(mode)", try b.build(outputs: [y])))
    }
    for mode in [PadMode.constant, .reflect, .replicate] {
      var b = ModelBuilder(channels: 2)
      var y = b.add(.pad(PadAttributes(left: 3, right: 2, mode: mode, value: mode == .constant ? 0.5 : 0)), [b.input])
      y = try conv(&b, y, 2, 3, k: 2, d: 2, rng: &rng)
      y = b.add(.slice(SliceAttributes(start: 2, stop: -1)), [y])
      models.append(("pad \(mode) then crop", try b.build(outputs: [y])))
    }
    for mode in [PaddingMode.reflect, .replicate] {
      // A chomp after a non-zero-padded conv: it becomes the conv's right padding in the stream.
      var b = ModelBuilder(channels: 2)
      let y = try conv(&b, b.input, 2, 3, k: 4, p: .explicit(3), d: 1, mode: mode, rng: &rng)
      let chomped = b.relu(b.add(.slice(SliceAttributes(start: 0, stop: -2)), [y]))
      // A second crop, which may release frames only as far as the frames still due after the chomp cover it.
      let cropped = b.add(.slice(SliceAttributes(start: 0, stop: -2)), [chomped])
      models.append(("chomp after \(mode)", try b.build(outputs: [cropped])))
    }
    models.append(("pools", try pools(&rng)))
    models.append(("branches", try branches(&rng)))
    models.append(("classifier", try classifier(&rng)))
    models.append(("held-back crop", try heldBackCrop(&rng)))
    return models
  }

  /// Max pools (padding, dilation, ceil mode) and average pools with and without the padding counted.
  static func pools(_ rng: inout SeededGenerator) throws -> Model {
    var b = ModelBuilder(channels: 2)
    var y = b.add(.maxPool1d(PoolAttributes(kernelSize: 3, stride: 2, padding: 1, dilation: 2, ceilMode: true)), [b.input])
    y = b.add(.avgPool1d(PoolAttributes(kernelSize: 4, stride: 3, padding: 2, ceilMode: true, countIncludePad: false)), [y])
    y = b.add(.avgPool1d(PoolAttributes(kernelSize: 3, stride: 1, padding: 1, ceilMode: false, countIncludePad: true)), [y])
    y = b.add(.avgPool1d(PoolAttributes(kernelSize: 2, stride: 2, padding: 1, ceilMode: true, countIncludePad: true)), [y])
    y = try conv(&b, y, 2, 2, k: 3, p: .explicit(1), mode: .reflect, rng: &rng)
    return try b.build(outputs: [y])
  }

  /// A look-ahead branch and a causal branch meeting in add and concat, a constant broadcast over time,
  /// and a gated unit.
  static func branches(_ rng: inout SeededGenerator) throws -> Model {
    var b = ModelBuilder(channels: 2)
    let ahead = try conv(&b, b.input, 2, 4, k: 7, p: .explicit(3), mode: .replicate, rng: &rng)
    let causal = try conv(&b, b.add(.pad(PadAttributes(left: 4, right: 0)), [b.input]), 2, 4, k: 5, rng: &rng)
    let scale = b.add(.constant, [], parameters: ["value": try Tensor(shape: [4, 1], values: [0.5, -1, 2, 0.25])])
    let sum = b.add(.add, [ahead, b.add(.mul, [causal, scale])])
    let both = b.add(.concat, [sum, causal])
    let filter = b.add(.tanh, [try conv(&b, both, 8, 3, k: 2, p: .explicit(3), d: 3, rng: &rng)])
    let gate = b.add(.sigmoid, [try conv(&b, both, 8, 3, k: 2, p: .explicit(3), d: 3, rng: &rng)])
    let gated = b.add(.mul, [filter, gate])
    let cropped = b.add(.slice(SliceAttributes(start: 0, stop: -3)), [gated])
    return try b.build(outputs: [cropped])
  }

  /// Ends in reductions over time: a mean and a standard deviation, joined and fed to a linear layer.
  static func classifier(_ rng: inout SeededGenerator) throws -> Model {
    var b = ModelBuilder(channels: 3)
    let h = b.relu(try conv(&b, b.input, 3, 4, k: 3, s: 2, p: .explicit(1), rng: &rng))
    let mean = b.add(.globalAvgPool1d, [h])
    let std = b.add(try .reduce("std", axis: "time"), [h])
    let peak = b.add(.adaptiveMaxPool1d(outputSize: 1), [h])
    let features = b.add(.flatten, [b.add(.add, [b.add(.mul, [mean, std]), peak])])
    let weight = try Tensor(shape: [2, 4], values: (0..<8).map { Float($0) / 8 - 0.4 })
    let logits = b.add(.linear(LinearAttributes(inFeatures: 4, outFeatures: 2)), [features], parameters: ["weight": weight, "bias": try Tensor(shape: [2], values: [0.1, -0.2])])
    return try b.build(outputs: [logits])
  }

  /// A crop at the end of a causal model: the stream must hold 5 frames back until it knows the end.
  static func heldBackCrop(_ rng: inout SeededGenerator) throws -> Model {
    var b = ModelBuilder(channels: 1)
    let y = try conv(&b, b.input, 1, 2, k: 3, p: .explicit(2), rng: &rng)
    let cropped = b.add(.slice(SliceAttributes(start: 1, stop: -5)), [y])
    return try b.build(outputs: [cropped])
  }

  static func input(channels: Int, length: Int, batch: Int?, seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    let shape = (batch.map { [$0] } ?? []) + [channels, length]
    return Tensor(uncheckedShape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &rng) })
  }
}

@Suite("Streaming: edges, pools, branches, reductions, API")
struct StreamingBehaviourTests {
  static let models = (try? StreamingModels.all()) ?? []

  @Test("every built model builds")
  func modelsBuild() throws {
    #expect(try StreamingModels.all().count == 12)
  }

  @Test("built models stream exactly, batched and not, at lengths around their edges", arguments: models.map(\.0))
  func builtModels(name: String) throws {
    let model = Self.models.first { $0.0 == name }!.1
    let channels = model.graph.inputs[0].channels
    let minimum = model.minimumInputLength ?? 1
    for (length, batch) in [(minimum, nil), (minimum + 1, 2), (minimum + 7, nil), (97, 3), (250, nil)] as [(Int, Int?)] where length >= minimum {
      let x = StreamingModels.input(channels: channels, length: length, batch: batch, seed: UInt64(length))
      try expectStreamMatchesOffline(
        model, x, label: "\(name) L\(length)", patterns: [[Int.max], ChunkPatterns.ones, ChunkPatterns.primes, ChunkPatterns.bursts])
    }
  }

  @Test("fuzz: random chunk sequences over random lengths, every built model and the TCN and WaveNet")
  func fuzz() throws {
    var models = Self.models
    for folder in ["tcn", "wavenet"] {
      models.append((folder, try Model(contentsOf: Fixtures.path("architectures/\(folder)/model.c1d"))))
    }
    var rng = SeededGenerator(seed: 2026)
    for round in 0..<40 {
      let (name, model) = models[round % models.count]
      let minimum = model.minimumInputLength ?? 1
      let length = Int.random(in: minimum...(minimum + 400), using: &rng)
      let batch: Int? = Bool.random(using: &rng) ? nil : Int.random(in: 1...2, using: &rng)
      let x = StreamingModels.input(channels: model.graph.inputs[0].channels, length: length, batch: batch, seed: UInt64(round))
      let chunks = ChunkPatterns.random(seed: UInt64(round), count: 32, upTo: Int.random(in: 2...500, using: &rng))
      try expectStreamMatchesOffline(model, x, label: "fuzz round \(round) \(name) L\(length)", patterns: [chunks])
    }
  }

  @Test("a WaveNet's causal zero pads become its convs' own padding in the stream: no pass-through steps")
  func padsAbsorbed() throws {
    let model = try Model(contentsOf: Fixtures.path("architectures/wavenet/model.c1d"))
    let plan = try StreamPlan(model.validated, threads: 1)
    let passThrough = plan.steps.filter { if case .identity = $0.kind { true } else { false } }
    #expect(passThrough.isEmpty, "\(passThrough.map(\.name))")
    #expect(plan.steps.count < model.graph.nodes.count / 2)
  }

  @Test("a TCN's chomps become its convs' right padding in the stream, so relu and the residual add fuse again")
  func chompsAbsorbed() throws {
    let model = try Model(contentsOf: Fixtures.path("architectures/tcn/model.c1d"))
    let plan = try StreamPlan(model.validated, threads: 1)
    let passThrough = plan.steps.filter { if case .identity = $0.kind { true } else { false } }
    #expect(passThrough.isEmpty, "\(passThrough.map(\.name))")
    #expect(plan.steps.count == ExecutionPlan(model.validated, threads: 1).steps.count)
  }

  @Test("a crop at the end holds back exactly the frames it may drop")
  func heldBack() throws {
    var rng = SeededGenerator(seed: 3)
    let model = try StreamingModels.heldBackCrop(&rng)
    var stream = try model.makeStream(threads: 1)
    // Output u reads input frames u…u + 1 (the crop starts one frame in, the conv looks one frame ahead
    // of its centre); the conv yields 2 frames from its right padding at the end, so the crop's 5 frames
    // need 3 more held back: latency 1 + 3.
    #expect(stream.latency == 4)
    var emitted = 0
    for t in 0..<20 {
      emitted += try stream.push(Tensor(shape: [1, 1], values: [Float(t)])).shape[1]
      #expect(emitted == max(0, t + 1 - 4), "after frame \(t)")
    }
  }

  @Test("a classifier ending in reductions over time gives its features at finish")
  func classifier() throws {
    var rng = SeededGenerator(seed: 4)
    let model = try StreamingModels.classifier(&rng)
    let x = StreamingModels.input(channels: 3, length: 301, batch: 2, seed: 9)
    var stream = try model.makeStream(threads: 1)
    for start in stride(from: 0, to: 301, by: 50) {
      let m = min(50, 301 - start)
      let chunk = try Tensor(shape: [2, 3, m], values: (0..<6).flatMap { r in x.values[r * 301 + start..<r * 301 + start + m] })
      #expect(try stream.push(chunk).values.isEmpty)
    }
    let y = try stream.finish()
    let offline = try model(x)
    #expect(y.shape == offline.shape && y.shape == [2, 2])
    #expect(relativeError(y, offline) <= 1e-5)
  }

  @Test("streams refuse what needs the whole time axis, naming the node: circular padding names 'circular'")
  func refusals() throws {
    var rng = SeededGenerator(seed: 5)
    var b = ModelBuilder(channels: 2)
    let c = try StreamingModels.conv(&b, b.input, 2, 2, k: 3, p: .explicit(1), mode: .circular, rng: &rng)
    let circular = try b.build(outputs: [c])
    #expect(throws: C1DError.cannotStream(node: c, reason: "circular padding wraps the end of the signal around to its start")) {
      _ = try circular.makeStream()
    }
    var s = ModelBuilder(channels: 2)
    let softmax = s.add(.softmax(overTime: true), [s.input])
    #expect {
      _ = try s.build(outputs: [softmax]).makeStream()
    } throws: { "\($0)".contains("node '\(softmax)' cannot stream") && "\($0)".contains("softmax over time") }
    var n = ModelBuilder(channels: 2)
    let norm = n.add(.instanceNorm(channels: 2), [n.input])
    #expect {
      _ = try n.build(outputs: [norm]).makeStream()
    } throws: { "\($0)".contains("node '\(norm)' cannot stream") }
    // Squeeze-and-excitation: a mean over time scaling every frame needs the whole signal first.
    var e = ModelBuilder(channels: 2)
    let scaled = e.add(.mul, [e.input, e.add(.globalAvgPool1d, [e.input])])
    #expect {
      _ = try e.build(outputs: [scaled]).makeStream()
    } throws: { "\($0)".contains("node '\(scaled)' cannot stream") }
  }

  @Test("chunks are checked: channels, rank, batch; pushing after finish and finishing empty are errors")
  func chunkErrors() throws {
    var rng = SeededGenerator(seed: 6)
    var b = ModelBuilder(channels: 2)
    let y = try StreamingModels.conv(&b, b.input, 2, 3, k: 3, rng: &rng)
    let model = try b.build(outputs: [y])
    var stream = try model.makeStream(threads: 1)
    #expect(throws: C1DError.invalidInput("no frames were pushed: a stream needs at least one input frame before finish()")) {
      _ = try stream.finish()
    }
    #expect(throws: C1DError.self) { _ = try stream.push(Tensor(shape: [3, 4])) }
    #expect(throws: C1DError.self) { _ = try stream.push(Tensor(shape: [2])) }
    _ = try stream.push(Tensor(shape: [2, 1]))
    #expect(throws: C1DError.self) { _ = try stream.push(Tensor(shape: [1, 2, 1])) }
    // Two frames in all: too short for kernel 3, the offline run's error.
    _ = try stream.push(Tensor(shape: [2, 1]))
    #expect {
      _ = try stream.finish()
    } throws: { error in
      guard case .inputTooShort = error as? C1DError else { return false }
      return true
    }
    var done = try model.makeStream(threads: 1)
    #expect(try done.push(Tensor(shape: [2, 5])).shape == [3, 3])
    #expect(try done.finish().shape == [3, 0])
    #expect(throws: C1DError.self) { _ = try done.push(Tensor(shape: [2, 1])) }
    #expect(throws: (any Error).self) { _ = try model.makeStream(threads: 0) }
  }

  @Test("memory stays bounded: a long signal in small chunks keeps only the receptive field buffered")
  func boundedBuffers() throws {
    let model = try Model(contentsOf: Fixtures.path("architectures/wavenet/model.c1d"))
    var stream = try model.makeStream(threads: 1)
    var rng = SeededGenerator(seed: 8)
    var capacity = 0
    for round in 0..<400 {
      let m = Int.random(in: 1...64, using: &rng)
      _ = try stream.push(Tensor(shape: [1, m], repeating: Float(round % 7)))
      if round >= 200 {
        let held = stream.state.ports.joined().compactMap { $0?.count }.reduce(0, +)
        capacity = max(capacity, held)
      }
    }
    // Each port holds at most its window's span plus one chunk; the WaveNet's spans add up to its
    // receptive field.
    #expect(capacity <= 2 * stream.receptiveField + 64 * stream.state.ports.count)
  }
}

/// An op that says it is frame by frame (the protocol's default locality) but doubles the length, and one
/// with a window the stream has no unpadded form of: streams must refuse both rather than run them.
struct LengthDoublingOp: OpDefinition {
  static let name = "test_length_doubling"
  var windowed = false
  init(windowed: Bool) { self.windowed = windowed }
  init(attributes: FieldReader, node: String) throws {}
  func outputKind(_ check: NodeCheck) throws -> ValueKind { check.inputs[0] }
  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    ValueShape(channels: infer.x.channels, length: windowed ? infer.length - 1 : infer.length * 2)
  }
  var timeLocality: TimeLocality { windowed ? .window(TimeWindow(span: 2)) : .pointwise }
  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { ZeroKernel() }

  struct ZeroKernel: OpKernel {
    func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
      Activation(shape: output, batch: inputs[0].batch, data: [Float](repeating: 0, count: inputs[0].batch * output.elementCount))
    }
  }
}

@Suite("Streaming: ops the stream does not know")
struct StreamingUnknownOpTests {
  @Test("a 'pointwise' op that changes the length, and an unknown window, are refused by name")
  func refused() throws {
    for windowed in [false, true] {
      var b = ModelBuilder(channels: 1)
      let y = b.add(Op(LengthDoublingOp(windowed: windowed)), [b.input], name: "odd")
      let model = try b.build(outputs: [y])
      #expect {
        _ = try model.makeStream()
      } throws: { "\($0)".contains("node 'odd' cannot stream") && "\($0)".contains(windowed ? "no streaming form" : "output length differs") }
    }
  }
}
