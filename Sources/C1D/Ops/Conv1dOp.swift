/// `padding` of a convolution, as PyTorch takes it: a count on both sides, `'valid'` or `'same'`.
public enum Padding: Sendable, Hashable {
  case explicit(Int)
  /// No padding; the same as `.explicit(0)` but kept as written.
  case valid
  /// Output length equals input length (stride 1 only); for an even effective kernel the extra
  /// element goes on the right, as PyTorch splits it.
  case same
}

/// `padding_mode` of a convolution.
public enum PaddingMode: String, Sendable, Hashable, CaseIterable {
  case zeros, reflect, replicate, circular
}

/// The hyperparameters of `torch.nn.Conv1d`, with its defaults: the `conv1d` op.
public struct Conv1dAttributes: Sendable, Hashable {
  public var inChannels: Int
  public var outChannels: Int
  public var kernelSize: Int
  public var stride: Int
  public var padding: Padding
  public var dilation: Int
  public var groups: Int
  public var bias: Bool
  public var paddingMode: PaddingMode

  public init(
    inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .explicit(0),
    dilation: Int = 1, groups: Int = 1, bias: Bool = true, paddingMode: PaddingMode = .zeros
  ) {
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernelSize = kernelSize
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.groups = groups
    self.bias = bias
    self.paddingMode = paddingMode
  }

  /// `dilation · (kernel_size − 1) + 1`: the span of input one output element sees.
  public var effectiveKernel: Int { dilation * (kernelSize - 1) + 1 }

  /// Left and right padding as PyTorch applies them (for `'same'`, the extra element on the right).
  public var padAmounts: (left: Int, right: Int) {
    switch padding {
    case .explicit(let p): (p, p)
    case .valid: (0, 0)
    case .same:
      ((effectiveKernel - 1) / 2, (effectiveKernel - 1) - (effectiveKernel - 1) / 2)
    }
  }

  /// The shapes of `weight` and (when `bias`) `bias`.
  var parameterShapes: [String: [Int]] {
    var shapes = ["weight": [outChannels, inChannels / max(groups, 1), kernelSize]]
    if bias { shapes["bias"] = [outChannels] }
    return shapes
  }
}

extension Op {
  public static func conv1d(_ attributes: Conv1dAttributes) -> Op { Op(attributes) }
}

extension Conv1dAttributes: OpDefinition {
  static let name = "conv1d"

  init(attributes a: FieldReader, node: String) throws {
    let padding: Padding
    switch a.members["padding"] {
    case .string("valid"): padding = .valid
    case .string("same"): padding = .same
    case .string(let other):
      throw C1DError.invalidHyperparameter(node: node, message: "Invalid padding string '\(other)', should be one of {'valid', 'same'}")
    default: padding = .explicit(try a.int("padding", default: 0))
    }
    let modeName = try a.string("padding_mode", default: "zeros")
    guard let mode = PaddingMode(rawValue: modeName) else {
      throw C1DError.invalidHyperparameter(node: node, message: "padding_mode must be one of ['zeros', 'reflect', 'replicate', 'circular'], but got padding_mode='\(modeName)'")
    }
    self.init(
      inChannels: try a.int("in_channels"), outChannels: try a.int("out_channels"),
      kernelSize: try a.int("kernel_size"), stride: try a.int("stride", default: 1), padding: padding,
      dilation: try a.int("dilation", default: 1), groups: try a.int("groups", default: 1),
      bias: try a.bool("bias", default: true), paddingMode: mode)
  }

  var attributes: [String: JSONValue] {
    let paddingValue: JSONValue =
      switch padding {
      case .explicit(let p): .int(Int64(p))
      case .valid: .string("valid")
      case .same: .string("same")
      }
    return [
      "in_channels": .int(Int64(inChannels)), "out_channels": .int(Int64(outChannels)),
      "kernel_size": .int(Int64(kernelSize)), "stride": .int(Int64(stride)), "padding": paddingValue,
      "dilation": .int(Int64(dilation)), "groups": .int(Int64(groups)), "bias": .bool(bias),
      "padding_mode": .string(paddingMode.rawValue),
    ]
  }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try check.expectArity(1...1)
    try check.positive("in_channels", inChannels, "in_channels must be positive, got \(inChannels)")
    try check.positive("out_channels", outChannels, "out_channels must be positive, got \(outChannels)")
    try check.positive("kernel_size", kernelSize, "kernel_size must be positive, got \(kernelSize)")
    try check.positive("groups", groups, "groups must be a positive integer")
    guard inChannels % groups == 0 else { throw check.fail("in_channels must be divisible by groups") }
    guard outChannels % groups == 0 else { throw check.fail("out_channels must be divisible by groups") }
    try check.positive("stride", stride, "non-positive stride is not supported")
    try check.positive("dilation", dilation, "dilation should be greater than zero")
    if case .explicit(let p) = padding { try check.nonNegative("padding", p, "negative padding is not supported") }
    if padding == .same, stride != 1 { throw check.fail("padding='same' is not supported for strided convolutions") }
    guard !dilation.multipliedReportingOverflow(by: kernelSize).overflow else {
      throw C1DError.limitExceeded(what: "node '\(check.node)' dilation × kernel_size", limit: Int.max, actual: Int.max)
    }
    try check.expectParameters(parameterShapes)
    try check.expectChannels(
      inChannels, because: "Given groups=\(groups), weight of size [\(outChannels), \(inChannels / groups), \(kernelSize)]")
    return ValueKind(channels: outChannels, isSequence: true, isFixedLength: check.inputs[0].isFixedLength)
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    let (left, right) = padAmounts
    if paddingMode != .zeros, left + right > 0 {
      try infer.checkPadding(mode: paddingMode.rawValue, left: left, right: right)
    }
    let padded = infer.length + left + right
    guard padded >= effectiveKernel else {
      throw infer.tooShort("Calculated padded input size per channel: (\(padded)). Kernel size: (\(effectiveKernel)). Kernel size can't be greater than actual input size")
    }
    return ValueShape(channels: outChannels, length: (padded - effectiveKernel) / stride + 1)
  }

  func flops(inputs: [ValueShape], output: ValueShape) -> Int {
    output.elementCount * (2 * (inChannels / groups) * kernelSize + (bias ? 1 : 0))
  }

  var timeLocality: TimeLocality {
    let (left, right) = padAmounts
    if paddingMode == .circular, left + right > 0 {
      return .wholeAxis(reason: "circular padding wraps the end of the signal around to its start")
    }
    return .window(TimeWindow(span: effectiveKernel, stride: stride, padLeft: left, padRight: right, padding: paddingMode.rawValue))
  }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel {
    Conv1dKernel.make(
      attributes: self, weight: parameters("weight")!.values, bias: parameters.values("bias", orZeros: outChannels),
      padLeft: padAmounts.left, epilogue: [])
  }

  var unpadded: Op? {
    var valid = self
    valid.padding = .valid
    valid.paddingMode = .zeros
    return .conv1d(valid)
  }

  var summary: String {
    var parts = ["\(inChannels)→\(outChannels)", "k\(kernelSize)"]
    if stride != 1 { parts.append("s\(stride)") }
    switch padding {
    case .explicit(let p) where p != 0: parts.append("p\(p)")
    case .same: parts.append("p=same")
    default: break
    }
    if dilation != 1 { parts.append("d\(dilation)") }
    if groups != 1 { parts.append("g\(groups)") }
    if !bias { parts.append("no bias") }
    if paddingMode != .zeros { parts.append(paddingMode.rawValue) }
    return parts.joined(separator: " ")
  }
}
