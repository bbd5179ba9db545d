import CC1DKernels
import Testing

@testable import C1D

/// `conv_transpose1d` runs as stride-1 convolutions, one per output phase, interleaved: every way a phase
/// can come out (no taps, one tap, taps a dilation apart, padding that crops past the kernel, output
/// padding beyond the input's reach, groups, the depthwise and output-pair paths of the conv kernel) is
/// held to a plain scatter written here, at every ISA and 1 and 2 threads.
@Suite("Transposed convolution")
struct ConvTranspose1dTests {
  struct Case: Sendable, CustomStringConvertible {
    let a: ConvTranspose1dAttributes
    let length: Int
    let batch: Int
    var description: String {
      "\(a.inChannels)→\(a.outChannels) k\(a.kernelSize) s\(a.stride) p\(a.padding) op\(a.outputPadding) d\(a.dilation) g\(a.groups)\(a.bias ? "" : " no bias") L\(length) N\(batch)"
    }
  }

  static func c(
    _ inChannels: Int, _ outChannels: Int, k: Int, s: Int = 1, p: Int = 0, op: Int = 0, d: Int = 1, g: Int = 1,
    bias: Bool = true, L: Int, N: Int = 1
  ) -> Case {
    Case(
      a: ConvTranspose1dAttributes(
        inChannels: inChannels, outChannels: outChannels, kernelSize: k, stride: s, padding: p, outputPadding: op,
        dilation: d, groups: g, bias: bias),
      length: L, batch: N)
  }

  /// Shapes chosen for the paths they reach.
  static let chosen: [Case] = [
    c(3, 5, k: 3, L: 9),  // stride 1: one phase, a plain conv with padding 2
    c(4, 6, k: 4, s: 2, p: 1, L: 17, N: 2),  // EnCodec / HiFi-GAN: k = 2s, p = (k − s)/2
    c(16, 8, k: 16, s: 8, p: 4, L: 40),
    c(3, 4, k: 2, s: 5, L: 11),  // kernel < stride: three phases of bias only
    c(3, 4, k: 2, s: 5, bias: false, L: 6),  // … and of zeros
    c(2, 3, k: 7, s: 3, p: 9, L: 12),  // padding ≥ k: the input is cropped
    c(2, 3, k: 3, s: 2, p: 4, op: 1, L: 6),  // crop, then output padding past the input
    c(2, 2, k: 5, s: 3, op: 2, d: 2, L: 8),  // gcd(d, s) = 1: every phase has taps
    c(2, 2, k: 5, s: 4, op: 1, d: 2, L: 8),  // gcd(d, s) = 2: odd phases empty
    c(3, 3, k: 3, s: 1, op: 2, d: 3, L: 7),  // output_padding < dilation, stride 1
    c(4, 6, k: 5, s: 2, p: 2, g: 2, L: 21),  // groups
    c(6, 6, k: 4, s: 2, p: 1, g: 6, L: 50, N: 2),  // depthwise: the direct depthwise conv path
    c(3, 12, k: 3, s: 3, g: 3, L: 30),  // depthwise with a multiplier of 4
    c(16, 24, k: 6, s: 2, p: 2, L: 80),  // three taps per phase: the k3 output-pair path
    c(8, 16, k: 3, s: 1, p: 1, L: 300),  // stride 1, k3 output pairs over several tiles
    c(12, 20, k: 8, s: 4, p: 2, L: 300, N: 2),  // several GEMM tiles per phase
    c(5, 7, k: 1, s: 3, L: 10),  // k1: one phase of taps
    c(2, 3, k: 4, s: 2, p: 1, L: 1),  // one input frame
    // Long enough for the vectorised interleave (16 frames of every phase at once) at strides 2, 4, 8:
    c(3, 5, k: 2, s: 4, L: 40),  // with phases of bias only
    c(2, 3, k: 4, s: 8, p: 1, op: 1, d: 2, L: 37),  // gcd(d, s) = 2: odd phases of bias only
    c(2, 3, k: 3, s: 2, p: 5, op: 1, L: 60),  // crop: phases that skip their first frames
    // Strides past `maxMergedStride`: the bias filled, then each phase's frames written.
    c(3, 2, k: 45, s: 20, p: 12, op: 7, L: 9, N: 2),
    c(2, 5, k: 3, s: 17, p: 1, bias: true, L: 6),
  ]

  /// Hyperparameters drawn from a seeded generator, with the output length positive.
  static let drawn: [Case] = {
    var rng = SeededGenerator(seed: 2026)
    var cases = [Case]()
    while cases.count < 40 {
      let groups = [1, 1, 2, 3].randomElement(using: &rng)!
      let inChannels = groups * Int.random(in: 1...4, using: &rng)
      let outChannels = groups * Int.random(in: 1...4, using: &rng)
      let (k, s, d) = (Int.random(in: 1...9, using: &rng), Int.random(in: 1...5, using: &rng), Int.random(in: 1...3, using: &rng))
      let p = Int.random(in: 0...(d * (k - 1) + 3), using: &rng)
      let op = Int.random(in: 0..<max(s, d), using: &rng)
      let length = Int.random(in: 1...40, using: &rng)
      let drawnCase = c(
        inChannels, outChannels, k: k, s: s, p: p, op: op, d: d, g: groups, bias: Bool.random(using: &rng), L: length,
        N: Int.random(in: 1...2, using: &rng))
      if drawnCase.a.outputLength(inputLength: length) > 0 { cases.append(drawnCase) }
    }
    return cases
  }()

  /// The definition, in Double: every input frame scatters its kernel into the output.
  static func reference(_ x: [Float], _ c: Case, weight: [Float], bias: [Float]) -> [Float] {
    let a = c.a
    let outLength = a.outputLength(inputLength: c.length)
    let (inGroup, outGroup) = (a.inChannels / a.groups, a.outChannels / a.groups)
    var y = [Double](repeating: 0, count: c.batch * a.outChannels * outLength)
    for n in 0..<c.batch {
      for o in 0..<a.outChannels {
        for t in 0..<outLength { y[(n * a.outChannels + o) * outLength + t] = Double(bias[o]) }
      }
      for i in 0..<a.inChannels {
        let g = i / inGroup
        for j in 0..<c.length {
          let value = Double(x[(n * a.inChannels + i) * c.length + j])
          for o in 0..<outGroup {
            for k in 0..<a.kernelSize {
              let t = j * a.stride - a.padding + k * a.dilation
              guard t >= 0, t < outLength else { continue }
              y[(n * a.outChannels + g * outGroup + o) * outLength + t] += value * Double(weight[(i * outGroup + o) * a.kernelSize + k])
            }
          }
        }
      }
    }
    return y.map { Float($0) }
  }

  static func model(_ c: Case, weight: [Float], bias: [Float]) throws -> (Model, String) {
    var builder = ModelBuilder(channels: c.a.inChannels)
    var parameters = ["weight": try Tensor(shape: [c.a.inChannels, c.a.outChannels / c.a.groups, c.a.kernelSize], values: weight)]
    if c.a.bias { parameters["bias"] = try Tensor(shape: [c.a.outChannels], values: bias) }
    let y = builder.add(.convTranspose1d(c.a), [builder.input], parameters: parameters, name: "up")
    return (try builder.build(outputs: [y]), y)
  }

  @Test("conv_transpose1d matches a plain scatter at every ISA and 1 and 2 threads", arguments: chosen + drawn)
  func matchesScatter(_ c: Case) throws {
    var rng = SeededGenerator(seed: UInt64(c.description.utf8.reduce(0) { $0 &* 31 &+ Int($1) }.magnitude))
    let a = c.a
    let weight = (0..<a.inChannels * (a.outChannels / a.groups) * a.kernelSize).map { _ in Float.random(in: -1...1, using: &rng) }
    let bias = a.bias ? (0..<a.outChannels).map { _ in Float.random(in: -1...1, using: &rng) } : [Float](repeating: 0, count: a.outChannels)
    let x = (0..<c.batch * a.inChannels * c.length).map { _ in Float.random(in: -1...1, using: &rng) }
    let (model, output) = try Self.model(c, weight: weight, bias: bias)
    let expected = try Tensor(
      shape: [c.batch, a.outChannels, a.outputLength(inputLength: c.length)], values: Self.reference(x, c, weight: weight, bias: bias))
    let input = try Tensor(shape: [c.batch, a.inChannels, c.length], values: x)
    for kernels in KernelConfig.supported {
      for threads in [1, 2] {
        let y = try model.run(["input": input], threads: threads, kernels: kernels)[output]!
        #expect(y.shape == expected.shape, "\(c) kernels \(kernels) threads \(threads)")
        guard y.shape == expected.shape else { continue }
        let error = relativeError(y, expected)
        #expect(error <= tolerance, "\(c) kernels \(kernels) threads \(threads): error \(error)")
      }
    }
  }

  /// The phases of an output of `length` (phase r holds its frames r + v·stride < length); every third phase
  /// from 1 has no taps (nil), as when gcd(dilation, stride) > 1.
  static func interleaveInputs(stride: Int, length: Int) -> [[Float]?] {
    (0..<stride).map { r in
      r % 3 == 1 ? nil : randomValues((length - r + stride - 1) / stride, seed: UInt64(100 * stride + r))
    }
  }

  // Strides with and without a vector path; lengths around its 8- and 16-frame steps, and partial last frames.
  @Test("the phase interleave puts frame v of phase r at r + v·stride, exactly", arguments: KernelConfig.supported, [1, 2, 3, 4, 8, 17])
  func interleave(_ config: KernelConfig, _ stride: Int) {
    let fill: Float = 0.375
    for frames in [0, 1, 7, 8, 9, 15, 16, 17, 33, 40] {
      for extra in Set([0, 1, stride - 1]) where frames * stride + extra > 0 {
        let length = frames * stride + extra
        let phases = Self.interleaveInputs(stride: stride, length: length)
        let pointers = phases.map { phase -> UnsafeMutablePointer<Float>? in
          guard let phase else { return nil }
          let p = UnsafeMutablePointer<Float>.allocate(capacity: phase.count)
          p.initialize(from: phase, count: phase.count)
          return p
        }
        defer { pointers.forEach { $0?.deallocate() } }
        var y = [Float](repeating: .nan, count: length + 1)
        pointers.map { $0.map { UnsafePointer($0) } }.withUnsafeBufferPointer { config.interleave_phases($0.baseAddress!, stride, length, fill, &y) }
        let expected = (0..<length).map { t in phases[t % stride]?[t / stride] ?? fill }
        #expect(Array(y.prefix(length)) == expected, "\(config.name) stride \(stride) length \(length)")
        #expect(y[length].isNaN, "\(config.name) stride \(stride) length \(length): wrote past the output")
      }
    }
  }

  @Test("an unbatched (C, L) input gives a (C, L_out) output")
  func unbatched() throws {
    let c = Self.c(2, 3, k: 4, s: 2, p: 1, L: 5)
    let (model, output) = try Self.model(c, weight: [Float](repeating: 0.5, count: 2 * 3 * 4), bias: [1, 2, 3])
    let y = try model(try Tensor(shape: [2, 5], values: [Float](repeating: 1, count: 10)))
    #expect(y.shape == [3, 10])
    #expect(output == "up")
  }

  /// A model whose node `up` has the given attributes and parameters of the right shapes.
  static func build(_ a: ConvTranspose1dAttributes, inputChannels: Int? = nil) throws -> Model {
    var builder = ModelBuilder(channels: inputChannels ?? a.inChannels)
    let weightShape = [a.inChannels, a.outChannels / max(a.groups, 1), a.kernelSize]
    var parameters = ["weight": try Tensor(shape: weightShape, values: [Float](repeating: 0, count: weightShape.reduce(1, *)))]
    if a.bias { parameters["bias"] = try Tensor(shape: [a.outChannels], values: [Float](repeating: 0, count: a.outChannels)) }
    let y = builder.add(.convTranspose1d(a), [builder.input], parameters: parameters, name: "up")
    return try builder.build(outputs: [y])
  }

  @Test("hyperparameters PyTorch refuses are refused in its words")
  func refusals() throws {
    func refused(_ a: ConvTranspose1dAttributes, _ message: String) {
      #expect(throws: C1DError.invalidHyperparameter(node: "up", message: message)) { try Self.build(a) }
    }
    refused(
      ConvTranspose1dAttributes(inChannels: 4, outChannels: 4, kernelSize: 3, stride: 2, outputPadding: 2),
      "output padding must be smaller than either stride or dilation, but got output_padding=2, stride=2, dilation=1")
    refused(
      ConvTranspose1dAttributes(inChannels: 4, outChannels: 4, kernelSize: 3, outputPadding: 1, dilation: 1),
      "output padding must be smaller than either stride or dilation, but got output_padding=1, stride=1, dilation=1")
    refused(ConvTranspose1dAttributes(inChannels: 5, outChannels: 4, kernelSize: 3, groups: 2), "in_channels must be divisible by groups")
    refused(ConvTranspose1dAttributes(inChannels: 4, outChannels: 5, kernelSize: 3, groups: 2), "out_channels must be divisible by groups")
    refused(ConvTranspose1dAttributes(inChannels: 4, outChannels: 4, kernelSize: 3, groups: 0), "groups must be a positive integer")
    refused(ConvTranspose1dAttributes(inChannels: 4, outChannels: 4, kernelSize: 3, stride: 0), "non-positive stride is not supported")
    refused(
      ConvTranspose1dAttributes(inChannels: 4, outChannels: 4, kernelSize: 3, dilation: 0),
      "dilation should be greater than zero, but got dilation=0")
    refused(ConvTranspose1dAttributes(inChannels: 4, outChannels: 4, kernelSize: 3, padding: -1), "negative padding is not supported")
    refused(
      ConvTranspose1dAttributes(inChannels: 4, outChannels: 4, kernelSize: 3, outputPadding: -1),
      "negative output_padding is not supported")
    // output_padding below the dilation is allowed at stride 1, as in PyTorch.
    #expect(throws: Never.self) {
      try Self.build(ConvTranspose1dAttributes(inChannels: 4, outChannels: 4, kernelSize: 3, outputPadding: 2, dilation: 3))
    }
  }

  @Test("an input of the wrong channel count is refused as PyTorch words it")
  func wrongChannels() throws {
    let a = ConvTranspose1dAttributes(inChannels: 4, outChannels: 6, kernelSize: 3, groups: 2)
    #expect(
      throws: C1DError.shapeMismatch(
        node: "up", value: "input", expected: "4 channels (Given transposed=1, weight of size [4, 3, 3])", actual: "5 channels")
    ) { try Self.build(a, inputChannels: 5) }
  }

  @Test("a weight of conv1d's layout is refused: conv_transpose1d's is (in, out/groups, k)")
  func weightLayout() throws {
    var builder = ModelBuilder(channels: 4)
    let a = ConvTranspose1dAttributes(inChannels: 4, outChannels: 6, kernelSize: 3, bias: false)
    let y = builder.add(
      .convTranspose1d(a), [builder.input],
      parameters: ["weight": try Tensor(shape: [6, 4, 3], values: [Float](repeating: 0, count: 72))], name: "up")
    #expect(throws: C1DError.parameterMismatch(node: "up", tensor: "up.weight", expected: "shape [4, 6, 3]", actual: "shape [6, 4, 3]")) {
      try builder.build(outputs: [y])
    }
  }

  @Test("a non-positive output length is refused with PyTorch's message and the model's minimum input length")
  func outputTooSmall() throws {
    // L_out = (L − 1) − 8 + 2 + 1 = L − 6.
    let model = try Self.build(ConvTranspose1dAttributes(inChannels: 2, outChannels: 2, kernelSize: 3, padding: 4))
    #expect(model.minimumInputLength == 7)
    for (length, out) in [(5, -1), (6, 0)] {
      #expect(
        throws: C1DError.inputTooShort(
          node: "up",
          message: "Given input size per channel: (1 x \(length)). Calculated output size per channel: (1 x \(out)). Output size is too small — this model needs inputs of at least 7 samples")
      ) { try model.shapes(forInputLength: length) }
    }
    #expect(try model.shapes(forInputLength: 7)["up"]?.dimensions == [2, 1])
  }

  @Test("time locality: stride output frames per input frame, the scatter cropped by padding")
  func locality() {
    let a = ConvTranspose1dAttributes(inChannels: 1, outChannels: 1, kernelSize: 16, stride: 8, padding: 4, outputPadding: 1)
    #expect(Op.convTranspose1d(a).timeLocality == .upsampling(TimeUpsampling(factor: 8, span: 16, cropLeft: 4, cropRight: 3)))
    // The full scatter's length less both crops is PyTorch's output length.
    for length in 1...20 {
      #expect((length - 1) * 8 + 16 - 4 - 3 == a.outputLength(inputLength: length))
    }
  }

  @Test("files with conv_transpose1d are written as version 1.1 and read back equal")
  func roundTrip() throws {
    let model = try Self.build(ConvTranspose1dAttributes(inChannels: 2, outChannels: 4, kernelSize: 4, stride: 2, padding: 1, groups: 2))
    let bytes = try model.serialized()
    #expect(bytes[10] == 1 && bytes[11] == 0)
    let again = try Model(bytes: bytes)
    #expect(again.graph == model.graph)
    #expect(again.graph.nodes[0].op.summary == "2→4 k4 s2 p1 g2")
  }
}
