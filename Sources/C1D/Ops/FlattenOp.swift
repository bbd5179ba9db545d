/// `(N, C, L)` to `(N, C · L)` features.
struct FlattenOp: OpDefinition {
  static let name = "flatten"

  init() {}
  init(attributes: FieldReader, node: String) throws {}

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    _ = try check.unaryElementwise(sequenceOnly: true)
    // The feature count depends on the length; shape inference fixes it.
    return ValueKind(channels: check.inputs[0].channels, isSequence: false)
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    ValueShape(channels: infer.x.channels * infer.length, length: nil)
  }

  var timeLocality: TimeLocality { .wholeAxis(reason: "flatten turns the whole time axis into features") }
  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { FlattenKernel() }
}

extension Op {
  /// `(N, C, L)` to `(N, C · L)`.
  public static var flatten: Op { Op(FlattenOp()) }
}
