import CC1DKernels
import Testing

@testable import C1D

/// Kernel-3, stride-2 convs by output triples (F(3, 2) on taps 0 and 2), in every kernel set (those that
/// plan pairs run triples planned by another):
/// the transform and the combine exactly against their definitions (every padding mode, tiles starting
/// mid-row, triple counts around the 16-triple vector step), the two with per-channel products against a
/// direct convolution, and whole layers against a direct convolution.
@Suite("Output-triple kernels")
struct KernelTriplesTests {
  static let sets = KernelConfig.supported

  struct Case: Sendable, CustomTestStringConvertible {
    let length: Int, left: Int, right: Int, mode: Int32, value: Float
    var testDescription: String { "L\(length) pad \(left),\(right) mode \(mode)" }
    var outLength: Int { (length + left + right - 3) / 2 + 1 }
    var triples: Int { (outLength + 2) / 3 }
    /// The last input position any output reads.
    var reachHigh: Int { (outLength - 1) * 2 + 2 - left }
  }

  static let zeros = Int32(C1D_BORDER_CONSTANT)
  // Triple counts 1, 2, 15, 16, 17, 32, 33 and more; every padding mode; padding wider than the row.
  static let cases: [Case] = [
    Case(length: 2, left: 1, right: 1, mode: zeros, value: 0),
    Case(length: 9, left: 1, right: 1, mode: zeros, value: 0),
    Case(length: 90, left: 1, right: 1, mode: zeros, value: 0),
    Case(length: 96, left: 1, right: 1, mode: Int32(C1D_BORDER_REFLECT), value: 0),
    Case(length: 99, left: 1, right: 0, mode: Int32(C1D_BORDER_REPLICATE), value: 0),
    Case(length: 193, left: 0, right: 0, mode: zeros, value: 0),
    Case(length: 200, left: 1, right: 1, mode: Int32(C1D_BORDER_CIRCULAR), value: 0),
    Case(length: 7, left: 70, right: 65, mode: Int32(C1D_BORDER_CONSTANT), value: -0.25),
  ]

  static func position(_ x: [Float], _ c: Case, _ p: Int) -> Float {
    (p >= 0 && p < x.count) || (p >= -c.left && p <= c.reachHigh) ? referencePadded(x, p, mode: c.mode, value: c.value) : 0
  }

  /// The seven transformed rows of triples `first ..< triples` by definition, one row after another.
  static func referenceTransform(_ x: [Float], _ c: Case, first: Int) -> [Float] {
    let count = c.triples - first
    var out = [Float](repeating: 0, count: 7 * count)
    for u in first..<c.triples {
      let v = (0..<7).map { position(x, c, 6 * u - c.left + $0) }
      let rows = [v[0] - v[4], v[1], v[2] + v[4], v[4] - v[2], v[3], v[6] - v[2], v[5]]
      for (row, value) in rows.enumerated() { out[row * count + u - first] = value }
    }
    return out
  }

  static func transform(_ config: KernelConfig, _ x: [Float], _ c: Case, first: Int) -> [Float] {
    let count = c.triples - first
    var out = [Float](repeating: .nan, count: 7 * count)
    out.withUnsafeMutableBufferPointer { o in
      var rows: [UnsafeMutablePointer<Float>?] = (0..<7).map { o.baseAddress! + $0 * count }
      config.stride2_triples(x, x.count, c.left, c.mode, c.value, c.reachHigh, first, count, &rows)
    }
    return out
  }

  static func combine(_ config: KernelConfig, _ m: [[Float]], outputs: Int) -> [Float] {
    var y = [Float](repeating: .nan, count: outputs + 1)
    m[0].withUnsafeBufferPointer { a in
      m[1].withUnsafeBufferPointer { s in
        m[2].withUnsafeBufferPointer { d in
          m[3].withUnsafeBufferPointer { o in
            m[4].withUnsafeBufferPointer { b in
              var products: [UnsafePointer<Float>?] = [a, s, d, o, b].map { $0.baseAddress }
              config.stride2_triples_combine(&products, &y, outputs)
            }
          }
        }
      }
    }
    return y
  }

  @Test("the transform matches its definition, from the first triple and from a tile mid-row", arguments: sets, cases)
  func transforms(_ config: KernelConfig, _ c: Case) {
    let x = randomValues(c.length, seed: UInt64(c.length))
    for first in Set([0, min(5, c.triples - 1)]) {
      #expect(Self.transform(config, x, c, first: first) == Self.referenceTransform(x, c, first: first),
              "\(config.name) \(c) from triple \(first)")
    }
  }

  @Test("the combine interleaves its products by definition", arguments: sets, [1, 2, 3, 4, 47, 48, 49, 50, 96, 97, 145])
  func combines(_ config: KernelConfig, _ outputs: Int) {
    let triples = (outputs + 2) / 3
    let m = (0..<5).map { randomValues(triples, seed: UInt64(30 + $0)) }
    let y = Self.combine(config, m, outputs: outputs)
    let expected = (0..<outputs).map { t -> Float in
      let j = t / 3
      let (a, s, d, o, b) = (m[0][j], m[1][j], m[2][j], m[3][j], m[4][j])
      switch t % 3 {
      case 0: return a + (s + d)
      case 1: return (s - d) + o
      default: return (s + d) + b
      }
    }
    #expect(Array(y.prefix(outputs)) == expected, "\(config.name) \(outputs) outputs")
    #expect(y[outputs].isNaN, "\(config.name): the combine wrote past its \(outputs) outputs")
  }

  @Test("transform, products and combine give a direct convolution", arguments: sets, cases)
  func convolution(_ config: KernelConfig, _ c: Case) {
    let x = randomValues(c.length, seed: UInt64(c.length) + 100)
    let w: [Float] = [0.75, -0.5, 0.25]
    let bias: Float = 0.125
    let count = c.triples
    let r = Self.transform(config, x, c, first: 0)
    func row(_ i: Int, times weight: Float) -> [Float] { (0..<count).map { weight * r[i * count + $0] } }
    func sum(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $0 + $1 } }
    // One input and one output channel: each product is a row times a transformed weight (OutputPairs').
    let products = [
      sum(row(0, times: w[0]), row(1, times: w[1])), row(2, times: (w[0] + w[2]) / 2).map { $0 + bias },
      row(3, times: (w[0] - w[2]) / 2), row(4, times: w[1]), sum(row(5, times: w[2]), row(6, times: w[1])),
    ]
    let y = Self.combine(config, products, outputs: c.outLength)
    let expected = (0..<c.outLength).map { t in
      Double(bias) + (0..<3).reduce(0.0) { sum, k in
        sum + Double(w[k]) * Double(referencePadded(x, 2 * t - c.left + k, mode: c.mode, value: c.value))
      }
    }
    #expect(allClose(Array(y.prefix(c.outLength)), expected, tolerance: 1e-5), "\(config.name) \(c)")
  }

  struct LayerCase: Sendable, CustomTestStringConvertible {
    let mode: PaddingMode, length: Int
    var batch = 2, inChannels = 16, outChannels = 24, padding = 1
    var testDescription: String { "\(mode) L\(length) pad \(padding) N\(batch) C \(inChannels) → \(outChannels)" }
    var outLength: Int { (length + 2 * padding - 3) / 2 + 1 }
  }

  // Output lengths around whole tiles of 64 triples (192 outputs) and the 48-output vector step, every
  // padding mode, no padding, one sample split over two threads by rows.
  static let layerCases: [LayerCase] = [
    LayerCase(mode: .zeros, length: 384), LayerCase(mode: .zeros, length: 385, padding: 0),
    LayerCase(mode: .reflect, length: 97), LayerCase(mode: .replicate, length: 200),
    LayerCase(mode: .circular, length: 1001), LayerCase(mode: .zeros, length: 64, batch: 1, outChannels: 48),
    LayerCase(mode: .zeros, length: 3199, batch: 1, inChannels: 32, outChannels: 32),
  ]

  @Test("a stride-2 conv layer runs by output triples and matches a direct convolution", arguments: layerCases)
  func layer(_ c: LayerCase) throws {
    var rng = SeededGenerator(seed: UInt64(c.length))
    let layer = try Conv1d(
      inChannels: c.inChannels, outChannels: c.outChannels, kernelSize: 3, stride: 2, padding: .explicit(c.padding),
      paddingMode: c.mode, using: &rng)
    for kernels in Self.sets {
      let kernel = Conv1dKernel.make(
        attributes: layer.attributes, weight: layer.weight.values, bias: layer.bias!.values, padLeft: c.padding,
        epilogue: [], kernels: kernels)
      guard case .pairs(let pairs) = kernel.method, pairs.form == (kernels.stride2_by_triples != 0 ? .stride2Triples : .stride2) else {
        Issue.record("\(kernels.name): stride-2 conv not planned by output triples (or pairs where the set prefers them)")
        continue
      }
    }
    var builder = ModelBuilder(channels: c.inChannels)
    let y = builder.conv1d(layer, builder.input)
    let model = try builder.build(outputs: [y])
    let x = Tensor(
      uncheckedShape: [c.batch, c.inChannels, c.length], values: randomValues(c.batch * c.inChannels * c.length, seed: 9))
    let border = Border(c.mode).code
    var expected: [Double] = []
    let rows = (0..<c.batch * c.inChannels).map { Array(x.values[$0 * c.length..<($0 + 1) * c.length]) }
    for n in 0..<c.batch {
      for o in 0..<c.outChannels {
        for t in 0..<c.outLength {
          var sum = Double(layer.bias!.values[o])
          for i in 0..<c.inChannels {
            let row = rows[n * c.inChannels + i]
            for k in 0..<3 {
              let v = referencePadded(row, 2 * t - c.padding + k, mode: border, value: 0)
              sum += Double(layer.weight.values[(o * c.inChannels + i) * 3 + k]) * Double(v)
            }
          }
          expected.append(sum)
        }
      }
    }
    for kernels in KernelConfig.supported {
      let output = try model.run([model.graph.inputs[0].name: x], threads: 2, kernels: kernels)[model.graph.outputs[0]]!
      #expect(output.shape == [c.batch, c.outChannels, c.outLength])
      #expect(allClose(output.values, expected, tolerance: 1e-4), "\(kernels.name) \(c)")
    }
  }
}
