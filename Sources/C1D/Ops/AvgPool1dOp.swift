/// `AvgPool1d`, with or without the padding counted in each window's divisor.
struct AvgPool1dOp: OpDefinition {
  static let name = "avg_pool1d"
  var pool: PoolAttributes
  var publicAttributes: (any Sendable)? { pool }

  init(_ pool: PoolAttributes) { self.pool = pool }
  init(attributes a: FieldReader, node: String) throws { pool = try PoolAttributes(reading: a) }

  var attributes: [String: JSONValue] {
    [
      "kernel_size": .int(Int64(pool.kernelSize)), "stride": .int(Int64(pool.stride)), "padding": .int(Int64(pool.padding)),
      "ceil_mode": .bool(pool.ceilMode), "count_include_pad": .bool(pool.countIncludePad),
    ]
  }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try pool.checkWindow(check)
    guard pool.dilation == 1 else { throw check.fail("avg_pool1d has no dilation, got \(pool.dilation)") }
    guard pool.padding <= pool.kernelSize / 2 else {
      throw check.fail("pad should be at most half of kernel size, but got pad=\(pool.padding) and kernel_size=\(pool.kernelSize)")
    }
    return check.inputs[0]
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape { try pool.outputShape(infer) }
  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * pool.kernelSize }
  var timeLocality: TimeLocality { pool.timeLocality(fill: pool.countIncludePad ? "counted" : "excluded") }
  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { PoolKernel(attributes: pool, isMax: false) }
  var summary: String { pool.summary }
  var unpadded: Op? { .avgPool1d(pool.withoutPadding) }
}

extension Op {
  public static func avgPool1d(_ attributes: PoolAttributes) -> Op { Op(AvgPool1dOp(attributes)) }
}
