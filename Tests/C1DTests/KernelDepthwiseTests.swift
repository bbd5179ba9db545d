import CC1DKernels
import Testing

@testable import C1D

/// The depthwise row kernel of every kernel set against a plain sum over the padded row: output counts
/// around its vector steps (16, 64), every padding mode, strides and dilations, padding wider than the row.
@Suite("Depthwise kernel")
struct KernelDepthwiseTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let length: Int, kernel: Int, dilation: Int, stride: Int, left: Int, right: Int, mode: Int32, value: Float
    var testDescription: String { "L\(length) k\(kernel) d\(dilation) s\(stride) pad \(left),\(right) mode \(mode)" }
    var count: Int { (length + left + right - (kernel - 1) * dilation - 1) / stride + 1 }
  }

  static let zeros = Int32(C1D_BORDER_CONSTANT)
  static let cases: [Case] = [
    Case(length: 1, kernel: 1, dilation: 1, stride: 1, left: 0, right: 0, mode: zeros, value: 0),
    Case(length: 15, kernel: 3, dilation: 1, stride: 1, left: 1, right: 1, mode: zeros, value: 0),
    Case(length: 16, kernel: 3, dilation: 1, stride: 1, left: 1, right: 1, mode: zeros, value: 0),
    Case(length: 17, kernel: 3, dilation: 1, stride: 1, left: 1, right: 1, mode: zeros, value: 0),
    Case(length: 63, kernel: 15, dilation: 1, stride: 1, left: 7, right: 7, mode: zeros, value: 0),
    Case(length: 64, kernel: 15, dilation: 1, stride: 1, left: 7, right: 7, mode: zeros, value: 0),
    Case(length: 65, kernel: 15, dilation: 1, stride: 1, left: 7, right: 7, mode: zeros, value: 0),
    Case(length: 150, kernel: 33, dilation: 1, stride: 1, left: 16, right: 16, mode: Int32(C1D_BORDER_CONSTANT), value: 0.5),
    Case(length: 63, kernel: 3, dilation: 2, stride: 1, left: 2, right: 2, mode: Int32(C1D_BORDER_REFLECT), value: 0),
    Case(length: 40, kernel: 5, dilation: 3, stride: 1, left: 6, right: 6, mode: Int32(C1D_BORDER_CIRCULAR), value: 0),
    Case(length: 50, kernel: 4, dilation: 1, stride: 2, left: 3, right: 0, mode: Int32(C1D_BORDER_REPLICATE), value: 0),
    Case(length: 16, kernel: 3, dilation: 1, stride: 3, left: 1, right: 1, mode: zeros, value: 0),
    Case(length: 20, kernel: 7, dilation: 1, stride: 1, left: 0, right: 0, mode: zeros, value: 0),
    Case(length: 5, kernel: 3, dilation: 1, stride: 1, left: 40, right: 40, mode: zeros, value: 0),
    Case(length: 3, kernel: 9, dilation: 2, stride: 1, left: 20, right: 17, mode: Int32(C1D_BORDER_CONSTANT), value: -2),
    // QuartzNet's 'same' k33 with a ragged interior tail; edges of more than four groups of 16.
    Case(length: 400, kernel: 33, dilation: 1, stride: 1, left: 16, right: 16, mode: zeros, value: 0),
    Case(length: 100, kernel: 9, dilation: 3, stride: 1, left: 90, right: 75, mode: Int32(C1D_BORDER_CONSTANT), value: 1.5),
    // An even kernel (the edges' even/odd taps end on an odd one), k1 with padding, and positions past 2^31.
    Case(length: 70, kernel: 4, dilation: 2, stride: 1, left: 5, right: 4, mode: zeros, value: 0),
    Case(length: 40, kernel: 1, dilation: 1, stride: 1, left: 20, right: 3, mode: Int32(C1D_BORDER_CONSTANT), value: 0.5),
    Case(length: 10, kernel: 3, dilation: 1 << 30, stride: 1, left: 1 << 30, right: 1 << 30, mode: zeros, value: 0),
    // Long kernels' edges on padded copies (AVX2): every mode, a ragged interior end, edges of more than one
    // copy (256 outputs), and a span past the copies' 1024 (back to masked edges).
    Case(length: 300, kernel: 15, dilation: 1, stride: 1, left: 7, right: 7, mode: Int32(C1D_BORDER_REFLECT), value: 0),
    Case(length: 90, kernel: 6, dilation: 3, stride: 1, left: 10, right: 5, mode: Int32(C1D_BORDER_REPLICATE), value: 0),
    Case(length: 77, kernel: 9, dilation: 2, stride: 1, left: 8, right: 8, mode: Int32(C1D_BORDER_CIRCULAR), value: 0),
    Case(length: 1200, kernel: 5, dilation: 200, stride: 1, left: 400, right: 400, mode: Int32(C1D_BORDER_CONSTANT), value: 0.5),
    Case(length: 1500, kernel: 5, dilation: 300, stride: 1, left: 600, right: 600, mode: zeros, value: 0),
  ]

  @Test("row matches the sum over the padded row", arguments: KernelConfig.supported, cases)
  func row(_ config: KernelConfig, _ c: Case) {
    let x = randomValues(c.length, seed: UInt64(c.length * 31 + c.kernel))
    let w = randomValues(c.kernel, seed: 5)
    let bias: Float = 0.25
    var y = [Float](repeating: .nan, count: c.count + 1)
    config.depthwise_row(x, c.length, c.left, c.mode, c.value, w, c.kernel, c.dilation, c.stride, bias, &y, c.count)
    let expected = (0..<c.count).map { t in
      Double(bias) + (0..<c.kernel).reduce(0.0) { sum, k in
        sum + Double(w[k]) * Double(referencePadded(x, t * c.stride - c.left + k * c.dilation, mode: c.mode, value: c.value))
      }
    }
    #expect(allClose(Array(y.prefix(c.count)), expected, tolerance: 1e-6 * Double(c.kernel)), "\(config.name) \(c)")
    #expect(y[c.count].isNaN, "\(config.name) \(c): wrote past the row's outputs")
  }
}
