import CC1DKernels
import Testing

@testable import C1D

/// Max pooling has a vectorised interior and scalar edges: both are held to a plain reference over every
/// window option, with NaN and ±infinity in the input, at every ISA.
@Suite("Max pooling")
struct PoolingTests {
  struct Case: Sendable, CustomStringConvertible {
    let kernel: Int, stride: Int, dilation: Int, padding: Int, ceilMode: Bool, length: Int
    var description: String { "k\(kernel) s\(stride) d\(dilation) p\(padding)\(ceilMode ? " ceil" : "") L\(length)" }
  }

  static let cases: [Case] = [
    Case(kernel: 2, stride: 2, dilation: 1, padding: 0, ceilMode: true, length: 101),
    Case(kernel: 2, stride: 2, dilation: 1, padding: 1, ceilMode: false, length: 100),
    Case(kernel: 3, stride: 1, dilation: 1, padding: 1, ceilMode: false, length: 77),
    Case(kernel: 3, stride: 2, dilation: 2, padding: 1, ceilMode: true, length: 90),
    Case(kernel: 5, stride: 2, dilation: 1, padding: 2, ceilMode: false, length: 67),
    Case(kernel: 4, stride: 3, dilation: 1, padding: 0, ceilMode: true, length: 64),
    Case(kernel: 3, stride: 1, dilation: 3, padding: 0, ceilMode: false, length: 40),
    Case(kernel: 2, stride: 2, dilation: 1, padding: 0, ceilMode: false, length: 5),
    // 17 outputs, whose last stride-2 window ends at the row's end: the over-reading block stops short of it.
    Case(kernel: 2, stride: 2, dilation: 1, padding: 0, ceilMode: false, length: 34),
    // 8 and 16 outputs, all of them interior: whole vectors, no scalar tail.
    Case(kernel: 3, stride: 1, dilation: 1, padding: 0, ceilMode: false, length: 10),
    Case(kernel: 3, stride: 2, dilation: 1, padding: 0, ceilMode: false, length: 34),
  ]

  /// PyTorch's rule: the greatest tap inside the row, NaN as soon as one tap is NaN.
  static func reference(_ row: ArraySlice<Float>, _ c: Case, outLength: Int) -> [Float] {
    (0..<outLength).map { t in
      var best = -Float.infinity
      for k in 0..<c.kernel {
        let i = t * c.stride - c.padding + k * c.dilation
        guard i >= 0, i < row.count else { continue }
        let v = row[row.startIndex + i]
        if v.isNaN { return v }
        best = max(best, v)
      }
      return best
    }
  }

  @Test("max_pool1d matches the reference at every ISA and thread count", arguments: cases)
  func maxPool(_ c: Case) throws {
    let channels = 3
    var builder = ModelBuilder(channels: channels)
    let pooled = builder.add(
      .maxPool1d(
        PoolAttributes(kernelSize: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation, ceilMode: c.ceilMode)),
      [builder.input])
    let model = try builder.build(outputs: [pooled])
    var rng = SeededGenerator(seed: 7)
    var values = (0..<2 * channels * c.length).map { _ in Float.random(in: -4...4, using: &rng) }
    // Specials early, in the middle (vectorised lanes) and at the end (scalar edge).
    for (index, value) in [(3, Float.nan), (c.length / 2, .infinity), (c.length + 33, .nan), (values.count - 1, .nan),
                           (2 * c.length + 20, -.infinity)] where index < values.count {
      values[index] = value
    }
    let input = try Tensor(shape: [2, channels, c.length], values: values)
    for kernels in KernelConfig.supported {
      for threads in [1, 2] {
        let output = try model.run(["input": input], threads: threads, kernels: kernels)[pooled]!
        let outLength = output.shape[2]
        for row in 0..<2 * channels {
          let expected = Self.reference(values[row * c.length..<(row + 1) * c.length], c, outLength: outLength)
          let actual = Array(output.values[row * outLength..<(row + 1) * outLength])
          let same = zip(actual, expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
          #expect(same, "\(c) row \(row) ISA \(kernels.name) threads \(threads): \(actual) vs \(expected)")
        }
      }
    }
  }
}
