/// Hyperparameters of the 1-D window pools (max and average).
public struct PoolAttributes: Sendable, Hashable {
  public var kernelSize: Int
  public var stride: Int
  public var padding: Int
  /// Max pooling only; 1 for average pooling.
  public var dilation: Int
  public var ceilMode: Bool
  /// Average pooling only.
  public var countIncludePad: Bool

  public init(
    kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false,
    countIncludePad: Bool = true
  ) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
    self.dilation = dilation
    self.ceilMode = ceilMode
    self.countIncludePad = countIncludePad
  }

  init(reading a: FieldReader) throws {
    let kernel = try a.int("kernel_size")
    self.init(
      kernelSize: kernel, stride: try a.optionalInt("stride") ?? kernel, padding: try a.int("padding", default: 0),
      dilation: try a.int("dilation", default: 1), ceilMode: try a.bool("ceil_mode", default: false),
      countIncludePad: try a.bool("count_include_pad", default: true))
  }

  var span: Int { dilation * (kernelSize - 1) + 1 }

  /// The checks both pools make.
  func checkWindow(_ check: NodeCheck) throws {
    try check.expectArity(1...1)
    try check.expectSequence()
    try check.positive("kernel_size", kernelSize, "kernel_size must be greater than zero, but got \(kernelSize)")
    try check.positive("stride", stride, "stride must be greater than zero, but got \(stride)")
    try check.positive("dilation", dilation, "dilation must be greater than zero, but got \(dilation)")
    try check.nonNegative("padding", padding, "pad must be non-negative, but got pad: \(padding)")
    try check.expectParameters([:])
  }

  /// PyTorch's pooling output length, or its error when it would be empty.
  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    let length = infer.length
    let numerator = length + 2 * padding - span
    var out: Int
    if ceilMode {
      out = (numerator >= 0 ? (numerator + stride - 1) / stride : -((-numerator) / stride)) + 1
      // PyTorch: the last window must start inside the input or the left padding.
      if (out - 1) * stride >= length + padding { out -= 1 }
    } else {
      out = numerator >= 0 ? numerator / stride + 1 : (numerator - stride + 1) / stride + 1
    }
    guard out >= 1 else {
      let c = infer.x.channels
      throw infer.tooShort("Given input size: (\(c)x1x\(length)). Calculated output size: (\(c)x1x\(out)). Output size is too small")
    }
    return ValueShape(channels: infer.x.channels, length: out)
  }

  /// - Parameter fill: how the padding reads (`TimeWindow.padding`): `"-inf"` for max, `"counted"` or
  ///   `"excluded"` for average pooling.
  func timeLocality(fill: String) -> TimeLocality {
    .window(TimeWindow(span: span, stride: stride, padLeft: padding, padRight: padding, padding: fill, ceilMode: ceilMode))
  }

  var summary: String { "k\(kernelSize) s\(stride) p\(padding)" }

  /// Padding 0 and no ceil mode: every window lies in the input, so divisors and the padding's value no
  /// longer matter (a stream decides the last windows itself, at the end).
  var withoutPadding: PoolAttributes {
    var pool = self
    pool.padding = 0
    pool.ceilMode = false
    return pool
  }
}
