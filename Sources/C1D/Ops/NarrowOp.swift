/// `torch.narrow(x, dim, start, length)` along channels or time; `split` and `chunk` become one
/// `narrow` per piece.
struct NarrowOp: OpDefinition {
  static let name = "narrow"
  static let minorVersion = 1
  var axis: Axis
  var start: Int
  var length: Int

  init(axis: Axis, start: Int, length: Int) {
    self.axis = axis
    self.start = start
    self.length = length
  }

  init(attributes a: FieldReader, node: String) throws {
    self.init(axis: try a.enumeration("axis"), start: try a.int("start"), length: try a.int("length"))
  }

  var attributes: [String: JSONValue] {
    ["axis": .string(axis.rawValue), "start": .int(Int64(start)), "length": .int(Int64(length))]
  }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    var kind = try check.unaryElementwise(sequenceOnly: true)
    try check.nonNegative("start", start, "start must be non-negative, got \(start)")
    try check.positive("length", length, "length must be positive, got \(length)")
    if axis == .channels {
      guard start + length <= kind.channels else {
        throw check.fail("start (\(start)) + length (\(length)) exceeds dimension size (\(kind.channels)).")
      }
      kind.channels = length
    } else {
      kind.isFixedLength = true
    }
    return kind
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    switch axis {
    case .channels: return ValueShape(channels: length, length: infer.x.length)
    case .time:
      guard start + length <= infer.length else {
        throw infer.tooShort("start (\(start)) + length (\(length)) exceeds dimension size (\(infer.length)).")
      }
      return ValueShape(channels: infer.x.channels, length: length)
    }
  }

  var timeLocality: TimeLocality {
    axis == .channels ? .pointwise : .wholeAxis(reason: "narrow along time selects a fixed range of frames")
  }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { NarrowKernel(op: self) }

  var summary: String { "\(axis.rawValue) [\(start):\(start + length)]" }
}

extension Op {
  public static func narrow(overTime: Bool, start: Int, length: Int) -> Op {
    Op(NarrowOp(axis: overTime ? .time : .channels, start: start, length: length))
  }
}

struct NarrowKernel: OpKernel {
  let op: NarrowOp

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    let (inChannels, inLength) = (x.shape.channels, x.shape.length ?? 1)
    let (channels, length) = (output.channels, output.length ?? 1)
    var y: [Float] = []
    y.reserveCapacity(x.batch * output.elementCount)
    for n in 0..<x.batch {
      for c in 0..<channels {
        let row = n * inChannels * inLength + (op.axis == .channels ? (op.start + c) * inLength : c * inLength)
        let offset = op.axis == .time ? op.start : 0
        y += x.data[row + offset..<row + offset + length]
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }
}
