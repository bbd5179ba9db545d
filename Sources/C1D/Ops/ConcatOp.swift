/// Concatenation of two or more sequences along channels (`torch.cat(dim=1)`).
struct ConcatOp: OpDefinition {
  static let name = "concat"

  init() {}
  init(attributes: FieldReader, node: String) throws {}

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try check.expectArity(2...Int.max)
    try check.expectParameters([:])
    for index in check.inputs.indices { try check.expectSequence(index) }
    let (total, overflow) = check.inputs.reduce((0, false)) { sum, kind in
      let r = sum.0.addingReportingOverflow(kind.channels)
      return (r.partialValue, sum.1 || r.overflow)
    }
    guard !overflow, total <= check.limits.maxHyperparameter else {
      throw C1DError.limitExceeded(what: "node '\(check.node)' output channels", limit: check.limits.maxHyperparameter, actual: overflow ? Int.max : total)
    }
    return ValueKind(channels: total, isSequence: true, isFixedLength: check.inputs.allSatisfy(\.isFixedLength))
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    for (index, other) in infer.inputs.enumerated() where other.length != infer.x.length {
      throw C1DError.shapeMismatch(
        node: infer.node, value: infer.inputNames[index], expected: "length \(infer.length)",
        actual: "Sizes of tensors must match except in dimension 1. Expected size \(infer.length) but got size \(other.length ?? 0) for tensor number \(index) in the list.")
    }
    return ValueShape(channels: infer.inputs.reduce(0) { $0 + $1.channels }, length: infer.x.length)
  }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { ConcatKernel() }
}

extension Op {
  /// Concatenation of two or more values along channels.
  public static var concat: Op { Op(ConcatOp()) }
}
