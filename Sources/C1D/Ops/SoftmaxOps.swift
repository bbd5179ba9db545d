import CC1DKernels

/// `softmax` and `log_softmax` over channels or time.
protocol SoftmaxFamilyOp: OpDefinition {
  var axis: Axis { get }
  init(axis: Axis)
  static var isLog: Bool { get }
}

extension SoftmaxFamilyOp {
  static var minorVersion: Int { 1 }
  init(attributes a: FieldReader, node: String) throws { self.init(axis: try a.enumeration("axis")) }
  var attributes: [String: JSONValue] { ["axis": .string(axis.rawValue)] }
  func outputKind(_ check: NodeCheck) throws -> ValueKind { try check.unaryElementwise(sequenceOnly: true) }
  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * 5 }
  var timeLocality: TimeLocality {
    axis == .time ? .wholeAxis(reason: "\(Self.name) over time normalises across the whole time axis") : .pointwise
  }
  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { SoftmaxKernel(axis: axis, isLog: Self.isLog) }
  var summary: String { "over \(axis.rawValue)" }
}

struct SoftmaxOp: SoftmaxFamilyOp {
  static let name = "softmax"
  static let isLog = false
  var axis: Axis
  init(axis: Axis) { self.axis = axis }
}

struct LogSoftmaxOp: SoftmaxFamilyOp {
  static let name = "log_softmax"
  static let isLog = true
  var axis: Axis
  init(axis: Axis) { self.axis = axis }
}

extension Op {
  public static func softmax(overTime: Bool) -> Op { Op(SoftmaxOp(axis: overTime ? .time : .channels)) }
  public static func logSoftmax(overTime: Bool) -> Op { Op(LogSoftmaxOp(axis: overTime ? .time : .channels)) }
}

/// Subtracts the row's maximum before exponentiating (no overflow), sums in Double.
struct SoftmaxKernel: OpKernel {
  let axis: Axis
  let isLog: Bool

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let batch = inputs[0].batch
    let rows = AxisRows(batch: batch, shape: output, axis: axis)
    var y = inputs[0].takeData()
    y.withUnsafeMutableBufferPointer { yb in
      for start in rows.starts { normalise(yb.baseAddress! + start, stride: rows.stride, count: rows.count) }
    }
    return Activation(shape: output, batch: batch, data: y)
  }

  private func normalise(_ row: UnsafeMutablePointer<Float>, stride: Int, count: Int) {
    c1d_softmax_row(row, stride, count, isLog ? 1 : 0)
  }
}
