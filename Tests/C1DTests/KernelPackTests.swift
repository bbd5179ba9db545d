import CC1DKernels
import Testing

@testable import C1D

/// Weight packing at load (c1d_pack.h), against plain Swift written from the layout's definition: the GEMM
/// panels of a conv (groups, partial last panels, one row, depth 1) and the transformed weights of kernel-3
/// convs by output pairs, bit for bit. Destinations start as NaN, so an element left unwritten shows.
@Suite("Weight packing")
struct KernelPackTests {
  struct Shape: Sendable, CustomTestStringConvertible {
    let groups: Int, groupOut: Int, depth: Int
    var testDescription: String { "groups \(groups) out/group \(groupOut) depth \(depth)" }
  }

  static let mr = KernelConfig.current.mr
  // One row; a panel and one short, one over; grouped with partial panels; depth 1.
  static let shapes: [Shape] = [
    Shape(groups: 1, groupOut: 1, depth: 1), Shape(groups: 1, groupOut: mr - 1, depth: 7),
    Shape(groups: 1, groupOut: mr, depth: 48), Shape(groups: 1, groupOut: mr + 1, depth: 33),
    Shape(groups: 3, groupOut: 2 * mr + 3, depth: 5), Shape(groups: 4, groupOut: mr, depth: 1),
    Shape(groups: 2, groupOut: 3 * mr + 5, depth: 21),
  ]

  /// Group g, panel p, depth index q, row r at ((g · panels + p) · depth + q) · mr + r; rows past the group's end 0.
  static func referencePack(_ w: [Float], groups: Int, groupOut: Int, depth: Int, mr: Int) -> [Float] {
    let panels = (groupOut + mr - 1) / mr
    var out = [Float](repeating: 0, count: groups * panels * depth * mr)
    for g in 0..<groups {
      for o in 0..<groupOut {
        for q in 0..<depth {
          out[((g * panels + o / mr) * depth + q) * mr + o % mr] = w[(g * groupOut + o) * depth + q]
        }
      }
    }
    return out
  }

  /// Bit patterns: signed zeros count, and a NaN left in the destination differs from every value written.
  static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

  /// Every kernel set's packing (the AVX one transposes 8 × 8 blocks: whole panels, depths past 8 with a tail),
  /// and the portable routine itself.
  @Test("conv weights land in mr-row panels, zero past each group's end", arguments: KernelConfig.supported, shapes)
  func conv(_ config: KernelConfig, _ shape: Shape) {
    let mr = Self.mr
    let w = randomValues(shape.groups * shape.groupOut * shape.depth, seed: UInt64(shape.depth))
    let panels = (shape.groupOut + mr - 1) / mr
    let expected = Self.referencePack(w, groups: shape.groups, groupOut: shape.groupOut, depth: shape.depth, mr: mr)
    var packed = [Float](repeating: .nan, count: shape.groups * panels * shape.depth * mr)
    config.pack_conv_weights(shape.groups, shape.groupOut, shape.depth, mr, w, nil, &packed)
    #expect(Self.bits(packed) == Self.bits(expected), "\(config.name) \(shape)")
    var portable = [Float](repeating: .nan, count: packed.count)
    c1d_f32_pack_conv_weights(shape.groups, shape.groupOut, shape.depth, mr, w, nil, &portable)
    #expect(Self.bits(portable) == Self.bits(expected), "portable \(shape)")
    // A folded norm's scale per output channel: each weight times its row's, one float product.
    let scale = randomValues(shape.groups * shape.groupOut, seed: 77).map { $0 * 3 }
    let scaled = w.enumerated().map { index, value in value * scale[index / shape.depth] }
    let expectedScaled = Self.referencePack(scaled, groups: shape.groups, groupOut: shape.groupOut, depth: shape.depth, mr: mr)
    config.pack_conv_weights(shape.groups, shape.groupOut, shape.depth, mr, w, scale, &packed)
    #expect(Self.bits(packed) == Self.bits(expectedScaled), "\(config.name) scaled \(shape)")
    c1d_f32_pack_conv_weights(shape.groups, shape.groupOut, shape.depth, mr, w, scale, &portable)
    #expect(Self.bits(portable) == Self.bits(expectedScaled), "portable scaled \(shape)")
  }

  /// A signalling NaN among unscaled weights keeps its bits (copied, not multiplied by 1).
  @Test("unscaled packing copies every bit pattern", arguments: KernelConfig.supported)
  func bitPatterns(_ config: KernelConfig) {
    let mr = Self.mr
    var w = randomValues(mr * 16, seed: 8)
    w[3] = Float(bitPattern: 0x7F80_0001)
    w[mr * 16 - 1] = -0.0
    var packed = [Float](repeating: 0, count: w.count)
    config.pack_conv_weights(1, mr, 16, mr, w, nil, &packed)
    #expect(Self.bits(packed) == Self.bits(Self.referencePack(w, groups: 1, groupOut: mr, depth: 16, mr: mr)), "\(config.name)")
  }

  /// The planner's packing (Conv1dKernel.pack) is the C routine over a conv's (out, in/groups, k) tensor.
  @Test("Conv1dKernel.pack of a grouped conv")
  func planner() {
    let a = Conv1dAttributes(inChannels: 6, outChannels: 3 * (Self.mr + 2), kernelSize: 3, groups: 3)
    let w = randomValues(a.outChannels * 2 * 3, seed: 9)
    let packed = Conv1dKernel.pack(w, a, kernels: .current)
    let expected = Self.referencePack(w, groups: 3, groupOut: Self.mr + 2, depth: 6, mr: Self.mr)
    #expect(Self.bits(packed) == Self.bits(expected))
    let scale = randomValues(a.outChannels, seed: 10)
    let scaled = Conv1dKernel.pack(w, a, scale: scale, kernels: .current)
    let folded = w.enumerated().map { index, value in value * scale[index / 6] }
    #expect(Self.bits(scaled) == Self.bits(Self.referencePack(folded, groups: 3, groupOut: Self.mr + 2, depth: 6, mr: Self.mr)))
  }

  /// Output and input channels: fewer outputs than a panel, a partial last panel, whole panels.
  static let pairShapes: [(Int, Int)] = [(1, 1), (mr - 1, 3), (2 * mr + 5, 8), (3 * mr, 17)]

  /// (out, in, 3) weights whose first taps are triples where arithmetic shows: a float sum that rounds twice
  /// (1 + 2⁻²⁴ + 2⁻²⁴) or overflows (3e38 + 3e38 − 3e38) where the double sum does not, and signed zeros.
  static func pairWeights(_ m: Int, _ c: Int) -> [Float] {
    var w = randomValues(m * c * 3, seed: UInt64(m * 100 + c))
    let special: [Float] = [1, 0x1p-24, 0x1p-24, 1, -0x1p-24, 0x1p-24, 3e38, 3e38, -3e38, -0.0, -0.0, -0.0, 0.0, -0.0, 0.0]
    for (index, value) in special.enumerated() where index < w.count { w[index] = value }
    return w
  }

  /// One panel set of transformed weights, depth C: `tap` gives each value from (w0, w1, w2).
  static func referencePairs(_ w: [Float], m: Int, c: Int, tap f: (Float, Float, Float) -> Float) -> [Float] {
    var transformed = [Float]()
    for o in 0..<m {
      for i in 0..<c { transformed.append(f(w[(o * c + i) * 3], w[(o * c + i) * 3 + 1], w[(o * c + i) * 3 + 2])) }
    }
    return referencePack(transformed, groups: 1, groupOut: m, depth: c, mr: mr)
  }

  static func half(_ sign: Double) -> (Float, Float, Float) -> Float {
    { w0, w1, w2 in Float((Double(w0) + sign * Double(w1) + Double(w2)) / 2) }
  }

  @Test("F(2, 3) weights: w0, the halves summed in double and rounded once, w2", arguments: pairShapes)
  func winograd23(_ m: Int, _ c: Int) {
    let w = Self.pairWeights(m, c)
    let count = (m + Self.mr - 1) / Self.mr * Self.mr * c
    var (g0, g1, g2, g3) = ([Float](repeating: .nan, count: count), [Float](repeating: .nan, count: count), [Float](repeating: .nan, count: count), [Float](repeating: .nan, count: count))
    c1d_f32_pack_winograd23_weights(m, c, Self.mr, w, &g0, &g1, &g2, &g3)
    let g = [g0, g1, g2, g3]
    let taps: [(Float, Float, Float) -> Float] = [{ w0, _, _ in w0 }, Self.half(1), Self.half(-1), { _, _, w2 in w2 }]
    for (index, tap) in taps.enumerated() {
      let expected = Self.referencePairs(w, m: m, c: c, tap: tap)
      #expect(Self.bits(g[index]) == Self.bits(expected), "G\(index), \(m) × \(c)")
    }
  }

  /// Every kernel set's packing (the AVX2 one splits and transposes 8 × 8 blocks: whole panels, then the
  /// input-channel tail and a partial panel as the portable routine writes them), and the portable one.
  @Test("stride-2 weights: w0 + w2, w0, w1, w2", arguments: [nil] + KernelConfig.supported, pairShapes + [(2 * mr, 64)])
  func stride2(_ config: KernelConfig?, _ shape: (Int, Int)) {
    let (m, c) = shape
    let w = Self.pairWeights(m, c)
    let count = (m + Self.mr - 1) / Self.mr * Self.mr * c
    var (p, w0, w1, w2) = ([Float](repeating: .nan, count: count), [Float](), [Float](), [Float]())
    (w0, w1, w2) = (p, p, p)
    if let config {
      config.pack_stride2_weights(m, c, Self.mr, w, &p, &w0, &w1, &w2)
    } else {
      c1d_f32_pack_stride2_weights(m, c, Self.mr, w, &p, &w0, &w1, &w2)
    }
    let panels = [p, w0, w1, w2]
    let expected = [
      Self.referencePairs(w, m: m, c: c, tap: { w0, _, w2 in w0 + w2 }),
      Self.referencePairs(w, m: m, c: c, tap: { w0, _, _ in w0 }),
      Self.referencePairs(w, m: m, c: c, tap: { _, w1, _ in w1 }),
      Self.referencePairs(w, m: m, c: c, tap: { _, _, w2 in w2 }),
    ]
    for (name, actual, expected) in zip3(["P", "w0", "w1", "w2"], panels, expected) {
      #expect(Self.bits(actual) == Self.bits(expected), "\(config?.name ?? "portable") \(name), \(m) × \(c)")
    }
  }

  private func zip3<A, B, C>(_ a: [A], _ b: [B], _ c: [C]) -> [(A, B, C)] {
    zip(a, zip(b, c)).map { ($0, $1.0, $1.1) }
  }
}
