/// Reductions over channels or time: mean, sum, max, min, var and std (with Bessel's `correction`).
/// Over time without `keepdim` the result is features `(C)`; over channels `keepdim` is required.
struct ReduceOp: OpDefinition {
  enum Kind: String, Sendable, Hashable, CaseIterable { case mean, sum, max, min, `var`, std }

  static let name = "reduce"
  static let minorVersion = 1
  var kind: Kind
  var axis: Axis
  var keepdim: Bool
  var correction: Int

  init(kind: Kind, axis: Axis, keepdim: Bool = true, correction: Int = 1) {
    self.kind = kind
    self.axis = axis
    self.keepdim = keepdim
    self.correction = correction
  }

  init(attributes a: FieldReader, node: String) throws {
    self.init(
      kind: try a.enumeration("kind"), axis: try a.enumeration("axis"), keepdim: try a.bool("keepdim", default: true),
      correction: try a.int("correction", default: 1))
  }

  var attributes: [String: JSONValue] {
    ["kind": .string(kind.rawValue), "axis": .string(axis.rawValue), "keepdim": .bool(keepdim), "correction": .int(Int64(correction))]
  }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    _ = try check.unaryElementwise(sequenceOnly: true)
    try check.nonNegative("correction", correction, "correction must be non-negative, got \(correction)")
    switch axis {
    case .time:
      return ValueKind(channels: check.inputs[0].channels, isSequence: keepdim, isFixedLength: true)
    case .channels:
      guard keepdim else {
        throw check.fail("a reduction over channels must keep the dimension (keepdim=True): values stay (N, C, L)")
      }
      return ValueKind(channels: 1, isSequence: true, isFixedLength: check.inputs[0].isFixedLength)
    }
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    switch axis {
    case .time: ValueShape(channels: infer.x.channels, length: keepdim ? 1 : nil)
    case .channels: ValueShape(channels: 1, length: infer.x.length)
    }
  }

  func flops(inputs: [ValueShape], output: ValueShape) -> Int { inputs[0].elementCount * (kind == .var || kind == .std ? 3 : 1) }

  var timeLocality: TimeLocality { axis == .time ? .reduction : .pointwise }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { ReduceKernel(op: self) }

  var summary: String { "\(kind.rawValue) over \(axis.rawValue)\(keepdim ? "" : ", dropped")" }
}

extension Op {
  public static func reduce(_ kind: String, axis: String, keepdim: Bool = true, correction: Int = 1) throws -> Op {
    guard let k = ReduceOp.Kind(rawValue: kind) else {
      throw C1DError.unknownValue(path: "reduce kind", value: kind, allowed: ReduceOp.Kind.allCases.map(\.rawValue))
    }
    guard let a = Axis(rawValue: axis) else {
      throw C1DError.unknownValue(path: "reduce axis", value: axis, allowed: Axis.allCases.map(\.rawValue))
    }
    return Op(ReduceOp(kind: k, axis: a, keepdim: keepdim, correction: correction))
  }
}

/// Sums in Double so that long rows keep float32 accuracy; max and min propagate NaN as PyTorch does.
struct ReduceKernel: OpKernel {
  let op: ReduceOp

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    let rows = AxisRows(batch: x.batch, shape: x.shape, axis: op.axis)
    let y = x.data.withUnsafeBufferPointer { xb in
      rows.starts.map { start in reduce(xb.baseAddress! + start, stride: rows.stride, count: rows.count) }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }

  private func reduce(_ row: UnsafePointer<Float>, stride: Int, count: Int) -> Float {
    switch op.kind {
    case .max, .min:
      var best = row[0]
      for i in 1..<max(count, 1) {
        let v = row[i * stride]
        if v.isNaN || best.isNaN { best = .nan } else if op.kind == .max ? v > best : v < best { best = v }
      }
      return best
    case .sum, .mean:
      var sum = 0.0
      for i in 0..<count { sum += Double(row[i * stride]) }
      return Float(op.kind == .sum ? sum : sum / Double(count))
    case .var, .std:
      var sum = 0.0
      for i in 0..<count { sum += Double(row[i * stride]) }
      let mean = sum / Double(count)
      var squares = 0.0
      for i in 0..<count {
        let d = Double(row[i * stride]) - mean
        squares += d * d
      }
      // PyTorch: a divisor ≤ 0 gives inf or NaN rather than an error.
      let variance = squares / Double(count - op.correction)
      return Float(op.kind == .var ? variance : variance.squareRoot())
    }
  }
}
