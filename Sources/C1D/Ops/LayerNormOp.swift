/// `LayerNorm(C)` applied over the channels at each time step.
struct LayerNormOp: NormalizingOp {
  static let name = "layer_norm"
  var norm: NormAttributes
  var publicAttributes: (any Sendable)? { norm }

  init(_ norm: NormAttributes) { self.norm = norm }
  init(attributes a: FieldReader, node: String) throws {
    norm = NormAttributes(channels: try a.int("num_channels"), eps: try a.double("eps", default: 1e-5), affine: try a.bool("affine", default: true))
  }

  var attributes: [String: JSONValue] {
    ["num_channels": .int(Int64(norm.channels)), "eps": .double(norm.eps), "affine": .bool(norm.affine)]
  }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try norm.check(check, groupsMeaningful: false)
    try check.expectChannels(norm.channels, because: "LayerNorm normalized_shape [\(norm.channels)]")
    try check.expectParameters(norm.affineShapes)
    return check.inputs[0]
  }

  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * 7 }

  func normalizationKernel(_ parameters: KernelParameters) -> NormalizationKernel {
    NormalizationKernel(attributes: norm, overChannels: true, weight: parameters("weight")?.values, bias: parameters("bias")?.values)
  }

  var summary: String { "\(norm.channels) eps \(norm.eps)" }
}

extension Op {
  public static func layerNorm(_ attributes: NormAttributes) -> Op { Op(LayerNormOp(attributes)) }
}

extension ModelBuilder {
  /// `LayerNorm(channels)` over the channels at each time step, affine when `weight` and `bias` are given.
  public mutating func layerNorm(
    _ x: String, channels: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5, name: String? = nil
  ) -> String {
    var parameters: [String: Tensor] = [:]
    parameters["weight"] = weight
    parameters["bias"] = bias
    let attributes = NormAttributes(channels: channels, eps: eps, affine: weight != nil || bias != nil)
    return add(.layerNorm(attributes), [x], parameters: parameters, name: name)
  }
}
