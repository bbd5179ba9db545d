/// `AdaptiveAvgPool1d(1)`: `(N, C, L)` to `(N, C, 1)`.
struct GlobalAvgPool1dOp: OpDefinition {
  static let name = "global_avg_pool1d"

  init() {}
  init(attributes: FieldReader, node: String) throws {}

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    var kind = try check.unaryElementwise(sequenceOnly: true)
    kind.isFixedLength = true
    return kind
  }
  func outputShape(_ infer: ShapeCheck) throws -> ValueShape { ValueShape(channels: infer.x.channels, length: 1) }
  func flops(inputs: [ValueShape], output: ValueShape) -> Int { inputs[0].elementCount }
  var timeLocality: TimeLocality { .reduction }
  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { GlobalAveragePoolKernel() }
}

extension Op {
  /// `AdaptiveAvgPool1d(1)`: `(N, C, L)` to `(N, C, 1)`.
  public static var globalAvgPool1d: Op { Op(GlobalAvgPool1dOp()) }
}
