import CC1DKernels

/// `nn.PReLU(num_parameters)`: one shared slope or one per channel.
struct PReLUOp: OpDefinition {
  static let name = "prelu"
  var numParameters: Int

  init(numParameters: Int) { self.numParameters = numParameters }
  init(attributes a: FieldReader, node: String) throws { numParameters = try a.int("num_parameters", default: 1) }

  var attributes: [String: JSONValue] { ["num_parameters": .int(Int64(numParameters))] }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try check.expectArity(1...1)
    try check.positive("num_parameters", numParameters, "num_parameters must be positive, got \(numParameters)")
    if numParameters != 1, check.inputs[0].channels != numParameters {
      throw C1DError.shapeMismatch(
        node: check.node, value: check.inputNames[0], expected: "\(plural(numParameters, "channel")) (num_parameters)",
        actual: plural(check.inputs[0].channels, "channel"))
    }
    try check.expectParameters(["weight": [numParameters]])
    return check.inputs[0]
  }

  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * 2 }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { PReLUKernel(slopes: parameters("weight")!.values) }

  var summary: String { plural(numParameters, "slope") }
}

extension Op {
  public static func prelu(numParameters: Int = 1) -> Op { Op(PReLUOp(numParameters: numParameters)) }
}
