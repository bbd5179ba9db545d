/// `torch.cat(xs, dim=2)`: sequences of equal channel counts, one after another in time.
struct ConcatTimeOp: OpDefinition {
  static let name = "concat_time"
  static let minorVersion = 1

  init() {}
  init(attributes: FieldReader, node: String) throws {}

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try check.expectArity(2...Int.max)
    try check.expectParameters([:])
    for index in check.inputs.indices {
      try check.expectChannels(check.inputs[0].channels, index, because: "torch.cat along time keeps the channels")
    }
    return ValueKind(channels: check.inputs[0].channels, isSequence: true, isFixedLength: check.inputs.allSatisfy(\.isFixedLength))
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    ValueShape(channels: infer.x.channels, length: infer.inputs.reduce(0) { $0 + ($1.length ?? 0) })
  }

  var timeLocality: TimeLocality { .wholeAxis(reason: "concat_time places one whole signal after another") }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { ConcatTimeKernel() }
}

extension Op {
  /// Concatenation of two or more sequences along time.
  public static var concatTime: Op { Op(ConcatTimeOp()) }
}

struct ConcatTimeKernel: OpKernel {
  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let batch = inputs.map(\.batch).max() ?? 1
    var y: [Float] = []
    y.reserveCapacity(batch * output.elementCount)
    for row in 0..<batch * output.channels {
      for input in copy inputs {
        let length = input.shape.length ?? 1
        y += input.data[row * length..<(row + 1) * length]
      }
    }
    return Activation(shape: output, batch: batch, data: y)
  }
}
