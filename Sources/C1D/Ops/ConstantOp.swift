/// A constant operand: its `value` tensor `(C, L)` (a sequence, either size possibly 1) or `(F)` (features),
/// one sample broadcast over the batch. Folded parameters (`x * scale`, `1 - x`) reach the graph this way.
struct ConstantOp: OpDefinition {
  static let name = "constant"
  static let minorVersion = 1

  init() {}
  init(attributes: FieldReader, node: String) throws {}

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try check.expectArity(0...0)
    guard let value = check.parameters["value"] else {
      throw C1DError.parameterMismatch(node: check.node, tensor: "value", expected: "a 'value' tensor of shape (C, L) or (F)", actual: "none")
    }
    guard (1...2).contains(value.shape.count), value.shape.allSatisfy({ $0 >= 1 }) else {
      throw C1DError.parameterMismatch(node: check.node, tensor: value.tensor, expected: "shape (C, L) or (F), every size ≥ 1", actual: "shape \(value.shape)")
    }
    try check.expectParameters(["value": value.shape])
    return ValueKind(channels: value.shape[0], isSequence: value.shape.count == 2, isFixedLength: true)
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    let shape = infer.parameterShapes["value"] ?? [1]
    return ValueShape(channels: shape[0], length: shape.count == 2 ? shape[1] : nil)
  }

  var timeLocality: TimeLocality { .pointwise }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { ConstantKernel(value: parameters("value")!) }
}

extension Op {
  /// A constant operand of a broadcasting op; its node's parameter `value` holds it.
  public static var constant: Op { Op(ConstantOp()) }
}

/// Hands out its tensor as a one-sample activation.
struct ConstantKernel: OpKernel {
  let value: Tensor

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    Activation(shape: output, batch: 1, data: value.values)
  }
}
