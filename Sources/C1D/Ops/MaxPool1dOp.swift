/// `MaxPool1d`; positions in the padding never win.
struct MaxPool1dOp: OpDefinition {
  static let name = "max_pool1d"
  var pool: PoolAttributes
  var publicAttributes: (any Sendable)? { pool }

  init(_ pool: PoolAttributes) { self.pool = pool }
  init(attributes a: FieldReader, node: String) throws { pool = try PoolAttributes(reading: a) }

  var attributes: [String: JSONValue] {
    [
      "kernel_size": .int(Int64(pool.kernelSize)), "stride": .int(Int64(pool.stride)), "padding": .int(Int64(pool.padding)),
      "dilation": .int(Int64(pool.dilation)), "ceil_mode": .bool(pool.ceilMode),
    ]
  }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try pool.checkWindow(check)
    guard pool.padding <= pool.span / 2 else {
      throw check.fail("pad should be at most half of effective kernel size, but got pad=\(pool.padding), kernel_size=\(pool.kernelSize) and dilation=\(pool.dilation)")
    }
    return check.inputs[0]
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape { try pool.outputShape(infer) }
  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * pool.kernelSize }
  var timeLocality: TimeLocality { pool.timeLocality(fill: "-inf") }
  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { PoolKernel(attributes: pool, isMax: true) }
  var summary: String { pool.summary }
  var unpadded: Op? { .maxPool1d(pool.withoutPadding) }
}

extension Op {
  public static func maxPool1d(_ attributes: PoolAttributes) -> Op { Op(MaxPool1dOp(attributes)) }
}
