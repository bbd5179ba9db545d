/// Inference-mode `BatchNorm1d` with running statistics.
struct BatchNormOp: OpDefinition {
  static let name = "batch_norm"
  var norm: NormAttributes
  var publicAttributes: (any Sendable)? { norm }

  init(_ norm: NormAttributes) { self.norm = norm }
  init(attributes a: FieldReader, node: String) throws {
    norm = NormAttributes(channels: try a.int("num_features"), eps: try a.double("eps", default: 1e-5), affine: try a.bool("affine", default: true))
  }

  var attributes: [String: JSONValue] {
    ["num_features": .int(Int64(norm.channels)), "eps": .double(norm.eps), "affine": .bool(norm.affine)]
  }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try norm.check(check, groupsMeaningful: false)
    try check.expectChannels(norm.channels, because: "BatchNorm1d num_features")
    try check.expectParameters(norm.affineShapes.merging(["running_mean": [norm.channels], "running_var": [norm.channels]]) { a, _ in a })
    return check.inputs[0]
  }

  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * 2 }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel {
    BatchNormKernel(
      attributes: norm, mean: parameters("running_mean")!, variance: parameters("running_var")!,
      weight: parameters("weight"), bias: parameters("bias"))
  }

  var summary: String { "\(norm.channels) eps \(norm.eps)" }
}

extension Op {
  public static func batchNorm(_ attributes: NormAttributes) -> Op { Op(BatchNormOp(attributes)) }
}
