/// Element-wise ops of two values of the same shape (`add`, `mul`).
protocol SameShapeBinaryOp: OpDefinition {
  init()
  static var isProduct: Bool { get }
}

extension SameShapeBinaryOp {
  init(attributes: FieldReader, node: String) throws { self.init() }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try check.expectArity(2...2)
    try check.expectParameters([:])
    guard check.inputs[0] == check.inputs[1] else {
      throw C1DError.shapeMismatch(
        node: check.node, value: check.inputNames[1], expected: check.inputs[0].description, actual: check.inputs[1].description)
    }
    return check.inputs[0]
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    let (a, b) = (infer.inputs[0], infer.inputs[1])
    if a != b {
      let dimension = a.channels != b.channels ? 1 : 2
      let (x, y) = dimension == 1 ? (a.channels, b.channels) : (a.length ?? 0, b.length ?? 0)
      throw C1DError.shapeMismatch(
        node: infer.node, value: infer.inputNames[1], expected: "\(a)",
        actual: "\(b): The size of tensor a (\(x)) must match the size of tensor b (\(y)) at non-singleton dimension \(dimension)")
    }
    return a
  }

  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * 2 }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { BinaryKernel(isProduct: Self.isProduct) }
}

struct AddOp: SameShapeBinaryOp {
  static let name = "add"
  static let isProduct = false
}

struct MulOp: SameShapeBinaryOp {
  static let name = "mul"
  static let isProduct = true
}

extension Op {
  /// Element-wise sum of two values of the same shape.
  public static var add: Op { Op(AddOp()) }
  /// Element-wise product of two values of the same shape.
  public static var mul: Op { Op(MulOp()) }
}
