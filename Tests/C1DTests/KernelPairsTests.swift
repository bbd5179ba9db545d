import CC1DKernels
import Testing

@testable import C1D

/// Kernel-3 convs by output pairs, per kernel set: the input transforms of Winograd's F(2, 3) (stride 1, and
/// per phase for dilation > 1) and of F(2, 2) on taps 0 and 2 (stride 2) and their combines, exactly against their definitions (padding,
/// tiles starting mid-row, pair counts around the 8- and 16-pair vector steps); then transform, per-channel
/// products and combine together against a direct convolution.
@Suite("Output-pair kernels")
struct KernelPairsTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let stride: Int, length: Int, left: Int, right: Int, mode: Int32, value: Float
    var dilation = 1
    var testDescription: String { "s\(stride) d\(dilation) L\(length) pad \(left),\(right) mode \(mode)" }
    var outLength: Int { (length + left + right - 2 * dilation - 1) / stride + 1 }
    /// Up to the last block of `dilation` pairs that has a first output (by definition, not by the kernel's formula).
    var pairs: Int { (0..<outLength).filter { $0 % (2 * dilation) < dilation }.count }
    /// The last input position any output reads.
    var reachHigh: Int { (outLength - 1) * stride + 2 * dilation - left }
    /// Pair u's first output.
    func firstOutput(_ u: Int) -> Int { 2 * dilation * (u / dilation) + u % dilation }
    /// Transformed rows per pair.
    var rows: Int { stride == 1 ? 4 : 5 }
  }

  static let zeros = Int32(C1D_BORDER_CONSTANT)
  // Pair counts 1, 15, 16, 17, 32, 33 and more; every padding mode; padding wider than the row.
  static let cases: [Case] = [
    Case(stride: 1, length: 1, left: 1, right: 1, mode: zeros, value: 0),
    Case(stride: 1, length: 30, left: 1, right: 1, mode: zeros, value: 0),
    Case(stride: 1, length: 32, left: 1, right: 1, mode: Int32(C1D_BORDER_REFLECT), value: 0),
    Case(stride: 1, length: 33, left: 1, right: 1, mode: Int32(C1D_BORDER_REPLICATE), value: 0),
    Case(stride: 1, length: 64, left: 0, right: 0, mode: zeros, value: 0),
    Case(stride: 1, length: 67, left: 2, right: 1, mode: Int32(C1D_BORDER_CIRCULAR), value: 0),
    Case(stride: 1, length: 5, left: 40, right: 37, mode: Int32(C1D_BORDER_CONSTANT), value: 0.5),
    // Dilated: blocks of d pairs, whole and cut short at the end, runs inside and across the borders.
    Case(stride: 1, length: 64, left: 4, right: 4, mode: zeros, value: 0, dilation: 4),
    Case(stride: 1, length: 61, left: 3, right: 3, mode: Int32(C1D_BORDER_REFLECT), value: 0, dilation: 3),
    Case(stride: 1, length: 75, left: 5, right: 5, mode: Int32(C1D_BORDER_REPLICATE), value: 0, dilation: 5),
    Case(stride: 1, length: 90, left: 9, right: 9, mode: Int32(C1D_BORDER_CIRCULAR), value: 0, dilation: 9),
    Case(stride: 1, length: 40, left: 0, right: 0, mode: zeros, value: 0, dilation: 2),
    Case(stride: 1, length: 200, left: 8, right: 8, mode: Int32(C1D_BORDER_REFLECT), value: 0, dilation: 8),
    Case(stride: 1, length: 150, left: 12, right: 12, mode: zeros, value: 0, dilation: 12),
    Case(stride: 1, length: 7, left: 30, right: 21, mode: Int32(C1D_BORDER_CONSTANT), value: 0.5, dilation: 6),
    Case(stride: 2, length: 2, left: 1, right: 1, mode: zeros, value: 0),
    Case(stride: 2, length: 60, left: 1, right: 1, mode: zeros, value: 0),
    Case(stride: 2, length: 64, left: 1, right: 1, mode: Int32(C1D_BORDER_REFLECT), value: 0),
    Case(stride: 2, length: 66, left: 1, right: 0, mode: Int32(C1D_BORDER_REPLICATE), value: 0),
    Case(stride: 2, length: 131, left: 0, right: 0, mode: zeros, value: 0),
    Case(stride: 2, length: 129, left: 1, right: 1, mode: Int32(C1D_BORDER_CIRCULAR), value: 0),
    Case(stride: 2, length: 7, left: 70, right: 65, mode: Int32(C1D_BORDER_CONSTANT), value: -0.25),
  ]

  /// The padded input position `p`, or 0 beyond any output's reach.
  static func position(_ x: [Float], _ c: Case, _ p: Int) -> Float {
    (p >= 0 && p < x.count) || (p >= -c.left && p <= c.reachHigh) ? referencePadded(x, p, mode: c.mode, value: c.value) : 0
  }

  /// The transformed rows of pairs `first ..< pairs` by definition, one row after another.
  static func referenceTransform(_ x: [Float], _ c: Case, first: Int) -> [Float] {
    let count = c.pairs - first
    var out = [Float](repeating: 0, count: c.rows * count)
    for u in first..<c.pairs {
      let i = u - first
      if c.stride == 1 {
        let v = (0..<4).map { position(x, c, c.firstOutput(u) - c.left + $0 * c.dilation) }
        for (row, value) in [v[0] - v[2], v[1] + v[2], v[2] - v[1], v[1] - v[3]].enumerated() { out[row * count + i] = value }
      } else {
        let v = (0..<5).map { position(x, c, 4 * u - c.left + $0) }
        for (row, value) in [v[0] - v[2], v[1], v[2], v[4] - v[2], v[3]].enumerated() { out[row * count + i] = value }
      }
    }
    return out
  }

  static func transform(_ config: KernelConfig, _ x: [Float], _ c: Case, first: Int) -> [Float] {
    let count = c.pairs - first
    var out = [Float](repeating: .nan, count: c.rows * count)
    out.withUnsafeMutableBufferPointer { o in
      let base = o.baseAddress!
      func row(_ r: Int) -> UnsafeMutablePointer<Float> { base + r * count }
      if c.dilation > 1 {
        config.winograd23_dilated_pairs(
          x, x.count, c.left, c.mode, c.value, c.reachHigh, c.dilation, first, count, row(0), row(1), row(2), row(3))
      } else if c.stride == 1 {
        config.winograd23_pairs(x, x.count, c.left, c.mode, c.value, c.reachHigh, first, count, row(0), row(1), row(2), row(3))
      } else {
        config.stride2_pairs(x, x.count, c.left, c.mode, c.value, c.reachHigh, first, count, row(0), row(1), row(2), row(3), row(4))
      }
    }
    return out
  }

  @Test("transforms match their definitions, from the first pair and from a tile mid-row", arguments: KernelConfig.supported, cases)
  func transforms(_ config: KernelConfig, _ c: Case) {
    let x = randomValues(c.length, seed: UInt64(c.length))
    for first in Set([0, min(3, c.pairs - 1)]) {
      let actual = Self.transform(config, x, c, first: first)
      let expected = Self.referenceTransform(x, c, first: first)
      #expect(actual == expected, "\(config.name) \(c) from pair \(first)")
    }
  }

  @Test("combines interleave their products by definition", arguments: KernelConfig.supported, [1, 2, 31, 32, 33, 64, 65, 97])
  func combines(_ config: KernelConfig, _ outputs: Int) {
    let pairs = (outputs + 1) / 2
    let m = (0..<4).map { randomValues(pairs, seed: UInt64(10 + $0)) }
    var winograd = [Float](repeating: .nan, count: outputs + 1)
    var stride2 = winograd
    config.winograd23_combine(m[0], m[1], m[2], m[3], &winograd, outputs)
    config.stride2_combine(m[0], m[1], m[2], &stride2, outputs)
    var expectedWinograd: [Float] = []
    var expectedStride2: [Float] = []
    for t in 0..<outputs {
      let j = t / 2
      let (m0, m1, m2, m3) = (m[0][j], m[1][j], m[2][j], m[3][j])
      expectedWinograd.append(t % 2 == 0 ? m0 + m1 + m2 : m1 - m2 - m3)
      expectedStride2.append(t % 2 == 0 ? m0 + m1 : m0 + m2)
    }
    #expect(Array(winograd.prefix(outputs)) == expectedWinograd, "\(config.name) F(2, 3) combine")
    #expect(Array(stride2.prefix(outputs)) == expectedStride2, "\(config.name) stride-2 combine")
    #expect(winograd[outputs].isNaN && stride2[outputs].isNaN, "\(config.name): a combine wrote past its outputs")
  }

  @Test("the dilated combine writes each block's first and second outputs by definition",
        arguments: KernelConfig.supported, [(2, 1), (2, 7), (3, 12), (4, 64), (4, 67), (5, 9), (8, 50), (9, 40), (16, 33)])
  func dilatedCombines(_ config: KernelConfig, _ dilationAndOutputs: (Int, Int)) {
    let (d, outputs) = dilationAndOutputs
    let c = Case(stride: 1, length: outputs + 2 * d, left: 0, right: 0, mode: Self.zeros, value: 0, dilation: d)
    let m = (0..<4).map { randomValues(c.pairs, seed: UInt64(20 + $0)) }
    var y = [Float](repeating: .nan, count: outputs + 1)
    config.winograd23_dilated_combine(m[0], m[1], m[2], m[3], d, &y, outputs)
    var expected = [Float](repeating: .nan, count: outputs)
    for u in 0..<c.pairs {
      let t = c.firstOutput(u)
      expected[t] = m[0][u] + m[1][u] + m[2][u]
      if t + d < outputs { expected[t + d] = m[1][u] - m[2][u] - m[3][u] }
    }
    #expect(Array(y.prefix(outputs)) == expected, "\(config.name) d\(d): \(y) vs \(expected)")
    #expect(y[outputs].isNaN, "\(config.name) d\(d): the combine wrote past its outputs")
  }

  @Test("transform, products and combine give a direct convolution", arguments: KernelConfig.supported, cases)
  func convolution(_ config: KernelConfig, _ c: Case) {
    let x = randomValues(c.length, seed: UInt64(c.length) + 100)
    let w: [Float] = [0.75, -0.5, 0.25]
    let bias: Float = 0.125
    let count = c.pairs
    let d = Self.transform(config, x, c, first: 0)
    func row(_ r: Int, times weight: Float) -> [Float] { (0..<count).map { weight * d[r * count + $0] } }
    func sum(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $0 + $1 } }
    // One input and one output channel: each product is a row times a transformed weight (OutputPairs' G).
    var products: [[Float]]
    if c.stride == 1 {
      let g1: Float = (w[0] + w[1] + w[2]) / 2
      let g2: Float = (w[0] - w[1] + w[2]) / 2
      products = [row(0, times: w[0]), row(1, times: g1).map { $0 + bias }, row(2, times: g2), row(3, times: w[2])]
    } else {
      let p = row(2, times: w[0] + w[2]).map { $0 + bias }
      products = [p, sum(row(0, times: w[0]), row(1, times: w[1])), sum(row(3, times: w[2]), row(4, times: w[1]))]
    }
    var y = [Float](repeating: .nan, count: c.outLength)
    if c.dilation > 1 {
      config.winograd23_dilated_combine(products[0], products[1], products[2], products[3], c.dilation, &y, c.outLength)
    } else if c.stride == 1 {
      config.winograd23_combine(products[0], products[1], products[2], products[3], &y, c.outLength)
    } else {
      config.stride2_combine(products[0], products[1], products[2], &y, c.outLength)
    }
    let expected = (0..<c.outLength).map { t in
      Double(bias) + (0..<3).reduce(0.0) { sum, k in
        sum + Double(w[k]) * Double(referencePadded(x, t * c.stride - c.left + k * c.dilation, mode: c.mode, value: c.value))
      }
    }
    #expect(allClose(y, expected, tolerance: 1e-5), "\(config.name) \(c): \(y) vs \(expected)")
  }

  /// A dilated kernel-3 conv of 16 input channels: by pairs at every kernel set, each padding mode, lengths
  /// that end on whole and on cut-short blocks, on 2 threads; 48 outputs of one short sample split their
  /// rows across the threads (3 tiles), and dilations 40 and 64 make a tile one block.
  struct LayerCase: Sendable, CustomTestStringConvertible {
    let dilation: Int, mode: PaddingMode, length: Int
    var batch = 2, outChannels = 24, inChannels = 16, stride = 1
    var testDescription: String { "d\(dilation) s\(stride) \(mode) L\(length) N\(batch) C \(inChannels) → \(outChannels)" }
    var outLength: Int { (length - 1) / stride + 1 }
  }

  static let layerCases: [LayerCase] = [
    LayerCase(dilation: 2, mode: .zeros, length: 150), LayerCase(dilation: 3, mode: .reflect, length: 131),
    LayerCase(dilation: 4, mode: .replicate, length: 257), LayerCase(dilation: 5, mode: .circular, length: 96),
    LayerCase(dilation: 8, mode: .zeros, length: 203), LayerCase(dilation: 9, mode: .zeros, length: 300),
    LayerCase(dilation: 5, mode: .zeros, length: 300, batch: 1, outChannels: 48),
    LayerCase(dilation: 40, mode: .reflect, length: 400, batch: 1),
    LayerCase(dilation: 64, mode: .zeros, length: 500),
    // Deeper than one GEMM depth block (512): each pass runs in two blocks, the second accumulating.
    LayerCase(dilation: 1, mode: .zeros, length: 77, inChannels: 520),
    LayerCase(dilation: 1, mode: .reflect, length: 155, inChannels: 520, stride: 2),
  ]

  @Test("a conv layer runs by output pairs and matches a direct convolution (dilated; deeper than a depth block)", arguments: layerCases)
  func dilatedLayer(_ c: LayerCase) throws {
    let (dilation, mode, length, batch, outChannels) = (c.dilation, c.mode, c.length, c.batch, c.outChannels)
    let (inChannels, stride) = (c.inChannels, c.stride)
    var rng = SeededGenerator(seed: UInt64(dilation))
    let layer = try Conv1d(
      inChannels: inChannels, outChannels: outChannels, kernelSize: 3, stride: stride, padding: .explicit(dilation),
      dilation: dilation, paddingMode: mode, using: &rng)
    let a = layer.attributes
    for kernels in KernelConfig.supported {
      let kernel = Conv1dKernel.make(attributes: a, weight: layer.weight.values, bias: layer.bias!.values, padLeft: dilation, epilogue: [], kernels: kernels)
      guard case .pairs = kernel.method else {
        Issue.record("\(kernels.name): d\(dilation) conv not planned by output pairs")
        continue
      }
    }
    let wide = Conv1dAttributes(inChannels: 16, outChannels: 24, kernelSize: 3, padding: .explicit(65), dilation: 65)
    #expect(!OutputPairs.applies(wide, kernels: .current), "dilation 65: a tile of whole blocks outgrows 64 pairs")
    var builder = ModelBuilder(channels: inChannels)
    let y = builder.conv1d(layer, builder.input)
    let model = try builder.build(outputs: [y])
    let x = Tensor(uncheckedShape: [batch, inChannels, length], values: randomValues(batch * inChannels * length, seed: 7))
    let border = Border(mode).code
    var expected: [Double] = []
    let rows = (0..<batch * inChannels).map { Array(x.values[$0 * length..<($0 + 1) * length]) }
    for n in 0..<batch {
      for o in 0..<outChannels {
        for t in 0..<c.outLength {
          var sum = Double(layer.bias!.values[o])
          for i in 0..<inChannels {
            let row = rows[n * inChannels + i]
            for k in 0..<3 {
              let v = referencePadded(row, t * stride - dilation + k * dilation, mode: border, value: 0)
              sum += Double(layer.weight.values[(o * inChannels + i) * 3 + k]) * Double(v)
            }
          }
          expected.append(sum)
        }
      }
    }
    for kernels in KernelConfig.supported {
      let output = try model.run([model.graph.inputs[0].name: x], threads: 2, kernels: kernels)[model.graph.outputs[0]]!
      #expect(output.shape == [batch, outChannels, c.outLength])
      #expect(allClose(output.values, expected, tolerance: 1e-4), "\(kernels.name) \(c)")
    }
  }
}
