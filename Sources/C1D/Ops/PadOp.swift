/// Padding mode of the stand-alone `pad` op (`torch.nn.functional.pad`).
public enum PadMode: String, Sendable, Hashable, CaseIterable {
  case constant, reflect, replicate, circular
}

/// `F.pad(x, (left, right), mode, value)` along time; asymmetric for causal convolutions: the `pad` op.
public struct PadAttributes: Sendable, Hashable {
  public var left: Int
  public var right: Int
  public var mode: PadMode
  public var value: Double

  public init(left: Int, right: Int, mode: PadMode = .constant, value: Double = 0) {
    self.left = left
    self.right = right
    self.mode = mode
    self.value = value
  }
}

extension Op {
  public static func pad(_ attributes: PadAttributes) -> Op { Op(attributes) }
}

extension PadAttributes: OpDefinition {
  static let name = "pad"

  init(attributes a: FieldReader, node: String) throws {
    self.init(
      left: try a.int("left"), right: try a.int("right"), mode: try a.enumeration("mode", default: PadMode.constant),
      value: try a.double("value", default: 0))
  }

  var attributes: [String: JSONValue] {
    ["left": .int(Int64(left)), "right": .int(Int64(right)), "mode": .string(mode.rawValue), "value": .double(value)]
  }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try check.expectArity(1...1)
    try check.expectSequence()
    try check.nonNegative("left", left, "negative padding is not supported, got left=\(left)")
    try check.nonNegative("right", right, "negative padding is not supported, got right=\(right)")
    try check.finite(value, "value")
    try check.expectParameters([:])
    return check.inputs[0]
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    if mode != .constant { try infer.checkPadding(mode: mode.rawValue, left: left, right: right) }
    return ValueShape(channels: infer.x.channels, length: infer.length + left + right)
  }

  var timeLocality: TimeLocality {
    if mode == .circular {
      return .wholeAxis(reason: "circular padding wraps the end of the signal around to its start")
    }
    return .window(TimeWindow(span: 1, padLeft: left, padRight: right, padding: mode.rawValue, value: value))
  }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { PadKernel(attributes: self) }

  var summary: String { "(\(left), \(right)) \(mode.rawValue)" }

  /// An identity (`slice [0:]`): the stream pads.
  var unpadded: Op? { .slice(SliceAttributes(start: 0)) }
}
