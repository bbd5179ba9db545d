/// The hyperparameters of `torch.nn.ConvTranspose1d`, with its defaults: the `conv_transpose1d` op
/// (format 1.1).
///
/// `out[n, o, t] = bias[o] + Σ_{c < C_in/groups} Σ_{k} weight[g·C_in/groups + c, o − g·C_out/groups, k] ·
/// x[n, g·C_in/groups + c, j]` over the `(j, k)` with `j·stride − padding + k·dilation = t`,
/// `g = o / (C_out/groups)`: each input frame scatters a dilated kernel into the output, `stride` frames apart.
public struct ConvTranspose1dAttributes: Sendable, Hashable {
  public var inChannels: Int
  public var outChannels: Int
  public var kernelSize: Int
  public var stride: Int
  /// Frames cropped from each end of the full scatter (`dilation·(kernel_size − 1) − padding` of zero
  /// padding in the equivalent convolution).
  public var padding: Int
  /// Frames added at the right end: tells apart the input lengths a strided `Conv1d` maps to one length.
  public var outputPadding: Int
  public var dilation: Int
  public var groups: Int
  public var bias: Bool

  public init(
    inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0,
    dilation: Int = 1, groups: Int = 1, bias: Bool = true
  ) {
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernelSize = kernelSize
    self.stride = stride
    self.padding = padding
    self.outputPadding = outputPadding
    self.dilation = dilation
    self.groups = groups
    self.bias = bias
  }

  /// `dilation · (kernel_size − 1) + 1`: the output frames one input frame writes.
  public var effectiveKernel: Int { dilation * (kernelSize - 1) + 1 }

  /// `(L − 1)·stride − 2·padding + dilation·(kernel_size − 1) + output_padding + 1`, PyTorch's formula.
  public func outputLength(inputLength length: Int) -> Int {
    (length - 1) * stride - 2 * padding + effectiveKernel + outputPadding
  }

  /// The shapes of `weight` (`(in, out/groups, k)`: transposed against `conv1d`'s) and (when `bias`) `bias`.
  var parameterShapes: [String: [Int]] {
    var shapes = ["weight": [inChannels, outChannels / max(groups, 1), kernelSize]]
    if bias { shapes["bias"] = [outChannels] }
    return shapes
  }
}

extension Op {
  public static func convTranspose1d(_ attributes: ConvTranspose1dAttributes) -> Op { Op(attributes) }
}

extension ConvTranspose1dAttributes: OpDefinition {
  static let name = "conv_transpose1d"
  static var minorVersion: Int { 1 }

  init(attributes a: FieldReader, node: String) throws {
    self.init(
      inChannels: try a.int("in_channels"), outChannels: try a.int("out_channels"),
      kernelSize: try a.int("kernel_size"), stride: try a.int("stride", default: 1),
      padding: try a.int("padding", default: 0), outputPadding: try a.int("output_padding", default: 0),
      dilation: try a.int("dilation", default: 1), groups: try a.int("groups", default: 1),
      bias: try a.bool("bias", default: true))
  }

  var attributes: [String: JSONValue] {
    [
      "in_channels": .int(Int64(inChannels)), "out_channels": .int(Int64(outChannels)),
      "kernel_size": .int(Int64(kernelSize)), "stride": .int(Int64(stride)), "padding": .int(Int64(padding)),
      "output_padding": .int(Int64(outputPadding)), "dilation": .int(Int64(dilation)),
      "groups": .int(Int64(groups)), "bias": .bool(bias),
    ]
  }

  /// PyTorch's checks, in the order `nn.ConvTranspose1d` and its forward make them.
  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try check.expectArity(1...1)
    try check.positive("in_channels", inChannels, "in_channels must be positive, got \(inChannels)")
    try check.positive("out_channels", outChannels, "out_channels must be positive, got \(outChannels)")
    try check.positive("groups", groups, "groups must be a positive integer")
    guard inChannels % groups == 0 else { throw check.fail("in_channels must be divisible by groups") }
    guard outChannels % groups == 0 else { throw check.fail("out_channels must be divisible by groups") }
    try check.positive("kernel_size", kernelSize, "kernel size should be greater than zero, but got kernel_size=\(kernelSize)")
    try check.positive("stride", stride, "non-positive stride is not supported")
    try check.positive("dilation", dilation, "dilation should be greater than zero, but got dilation=\(dilation)")
    try check.nonNegative("padding", padding, "negative padding is not supported")
    try check.nonNegative("output_padding", outputPadding, "negative output_padding is not supported")
    guard outputPadding < stride || outputPadding < dilation else {
      throw check.fail(
        "output padding must be smaller than either stride or dilation, but got output_padding=\(outputPadding), stride=\(stride), dilation=\(dilation)")
    }
    try check.expectParameters(parameterShapes)
    try check.expectChannels(
      inChannels, because: "Given transposed=1, weight of size [\(inChannels), \(outChannels / groups), \(kernelSize)]")
    return ValueKind(channels: outChannels, isSequence: true)
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    // Every factor is bounded (hyperparameters by the loader's limit, lengths by shape inference's):
    // no product here overflows.
    let length = outputLength(inputLength: infer.length)
    guard length > 0 else {
      throw infer.tooShort(
        "Given input size per channel: (1 x \(infer.length)). Calculated output size per channel: (1 x \(length)). Output size is too small")
    }
    return ValueShape(channels: outChannels, length: length)
  }

  /// Every input frame's multiply-adds into the full scatter (as for `conv1d`, `2·C_in/groups·k` per
  /// output frame of a stride-1 layer), plus the bias.
  func flops(inputs: [ValueShape], output: ValueShape) -> Int {
    Parallel.work(2, inputs[0].elementCount, outChannels / groups, kernelSize) + (bias ? output.elementCount : 0)
  }

  var timeLocality: TimeLocality {
    .upsampling(TimeUpsampling(factor: stride, span: effectiveKernel, cropLeft: padding, cropRight: padding - outputPadding))
  }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel {
    ConvTranspose1dKernel(
      attributes: self, weight: parameters("weight")!.values, bias: parameters.values("bias", orZeros: outChannels))
  }

  var summary: String {
    var parts = ["\(inChannels)→\(outChannels)", "k\(kernelSize)"]
    if stride != 1 { parts.append("s\(stride)") }
    if padding != 0 { parts.append("p\(padding)") }
    if outputPadding != 0 { parts.append("op\(outputPadding)") }
    if dilation != 1 { parts.append("d\(dilation)") }
    if groups != 1 { parts.append("g\(groups)") }
    if !bias { parts.append("no bias") }
    return parts.joined(separator: " ")
  }
}
