/// `x[:, :, start:stop]` with Python's meaning of negative and absent bounds (a TCN's chomp): the `slice` op.
public struct SliceAttributes: Sendable, Hashable {
  public var start: Int
  public var stop: Int?

  public init(start: Int = 0, stop: Int? = nil) {
    self.start = start
    self.stop = stop
  }

  /// The half-open range it selects from a sequence of `length`, clamped as Python clamps.
  public func range(forLength length: Int) -> Range<Int> {
    func resolve(_ bound: Int) -> Int { bound < 0 ? max(0, length + bound) : min(bound, length) }
    let lower = resolve(start)
    let upper = stop.map(resolve) ?? length
    return lower..<max(lower, upper)
  }
}

extension Op {
  public static func slice(_ attributes: SliceAttributes) -> Op { Op(attributes) }
}

extension SliceAttributes: OpDefinition {
  static let name = "slice"

  init(attributes a: FieldReader, node: String) throws {
    self.init(start: try a.int("start", default: 0), stop: try a.optionalInt("stop"))
  }

  var attributes: [String: JSONValue] {
    ["start": .int(Int64(start)), "stop": stop.map { .int(Int64($0)) } ?? .null]
  }

  func outputKind(_ check: NodeCheck) throws -> ValueKind { try check.unaryElementwise(sequenceOnly: true) }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    let range = range(forLength: infer.length)
    guard !range.isEmpty else {
      throw infer.tooShort("slice [\(start):\(stop.map(String.init) ?? "")] of an input of length \(infer.length) is empty")
    }
    return ValueShape(channels: infer.x.channels, length: range.count)
  }

  /// A crop: negative padding on either side. Bounds counted from the end need the whole signal first.
  var timeLocality: TimeLocality {
    guard start >= 0, (stop ?? -1) < 0 else {
      return .wholeAxis(reason: "slice [\(start):\(stop.map(String.init) ?? "")] selects a fixed range of frames, not a window that slides with time")
    }
    return .window(TimeWindow(span: 1, padLeft: -start, padRight: stop ?? 0))
  }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { SliceKernel(attributes: self) }

  var summary: String { "[\(start):\(stop.map(String.init) ?? "")]" }
}
