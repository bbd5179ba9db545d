import CC1DKernels

/// Snake (BigVGAN, DAC): `y = x + scale · sin²(alpha · x)` per channel. The exporter folds `scale` from
/// `alpha` (`1 / (alpha + eps)`), so the file says what is computed.
struct SnakeOp: OpDefinition {
  static let name = "snake"
  static let minorVersion = 1

  init() {}
  init(attributes: FieldReader, node: String) throws {}

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try check.expectArity(1...1)
    try check.expectSequence()
    let channels = check.inputs[0].channels
    try check.expectParameters(["alpha": [channels], "scale": [channels]])
    return check.inputs[0]
  }

  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * 6 }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel {
    SnakeKernel(alpha: parameters("alpha")!.values, scale: parameters("scale")!.values)
  }
}

extension Op {
  /// Snake; its node's parameters `alpha` and `scale` are `(C)`.
  public static var snake: Op { Op(SnakeOp()) }
}

struct SnakeKernel: OpKernel {
  let alpha: [Float]
  let scale: [Float]

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let batch = inputs[0].batch
    var y = inputs[0].takeData()
    let (channels, length) = (output.channels, output.length ?? 1)
    y.withUnsafeMutableBufferPointer { v in
      let base = SharedPointer(base: v.baseAddress!)
      Parallel.forEach(batch * channels, threads: context.threads) { row in
        c1d_snake_row(base.base + row * length, length, alpha[row % channels], scale[row % channels])
      }
    }
    return Activation(shape: output, batch: batch, data: y)
  }
}
