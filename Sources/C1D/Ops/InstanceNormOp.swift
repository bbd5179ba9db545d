/// `InstanceNorm1d` without running statistics: each (sample, channel) row normalised over time.
struct InstanceNormOp: NormalizingOp {
  static let name = "instance_norm"
  static let minorVersion = 1
  var channels: Int
  var eps: Double
  var affine: Bool

  init(channels: Int, eps: Double = 1e-5, affine: Bool = false) {
    self.channels = channels
    self.eps = eps
    self.affine = affine
  }

  init(attributes a: FieldReader, node: String) throws {
    self.init(channels: try a.int("num_channels"), eps: try a.double("eps", default: 1e-5), affine: try a.bool("affine", default: false))
  }

  var attributes: [String: JSONValue] {
    ["num_channels": .int(Int64(channels)), "eps": .double(eps), "affine": .bool(affine)]
  }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try NormAttributes(channels: channels, eps: eps, affine: affine).check(check, groupsMeaningful: false)
    try check.expectChannels(channels, because: "InstanceNorm1d num_features")
    try check.expectParameters(affine ? ["weight": [channels], "bias": [channels]] : [:])
    return check.inputs[0]
  }

  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * 7 }

  var timeLocality: TimeLocality { .wholeAxis(reason: "InstanceNorm's statistics span the whole time axis") }

  /// Group norm with one channel per group computes exactly this.
  func normalizationKernel(_ parameters: KernelParameters) -> NormalizationKernel {
    NormalizationKernel(
      attributes: NormAttributes(channels: channels, groups: channels, eps: eps, affine: affine), overChannels: false,
      weight: parameters("weight")?.values, bias: parameters("bias")?.values)
  }

  var summary: String { "\(channels) eps \(eps)" }
}

extension Op {
  public static func instanceNorm(channels: Int, eps: Double = 1e-5, affine: Bool = false) -> Op {
    Op(InstanceNormOp(channels: channels, eps: eps, affine: affine))
  }
}
