/// `GroupNorm`: statistics over each group's channels and the whole time axis.
struct GroupNormOp: NormalizingOp {
  static let name = "group_norm"
  var norm: NormAttributes
  var publicAttributes: (any Sendable)? { norm }

  init(_ norm: NormAttributes) { self.norm = norm }
  init(attributes a: FieldReader, node: String) throws {
    norm = NormAttributes(
      channels: try a.int("num_channels"), groups: try a.int("num_groups"), eps: try a.double("eps", default: 1e-5),
      affine: try a.bool("affine", default: true))
  }

  var attributes: [String: JSONValue] {
    ["num_groups": .int(Int64(norm.groups)), "num_channels": .int(Int64(norm.channels)), "eps": .double(norm.eps), "affine": .bool(norm.affine)]
  }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try norm.check(check, groupsMeaningful: true)
    try check.expectChannels(norm.channels, because: "GroupNorm num_channels")
    try check.expectParameters(norm.affineShapes)
    return check.inputs[0]
  }

  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * 7 }

  var timeLocality: TimeLocality { .wholeAxis(reason: "GroupNorm's statistics span the whole time axis") }

  func normalizationKernel(_ parameters: KernelParameters) -> NormalizationKernel {
    NormalizationKernel(attributes: norm, overChannels: false, weight: parameters("weight")?.values, bias: parameters("bias")?.values)
  }

  var summary: String {
    "\(plural(norm.groups, "group")) over \(plural(norm.channels, "channel")) eps \(norm.eps)"
  }
}

extension Op {
  public static func groupNorm(_ attributes: NormAttributes) -> Op { Op(GroupNormOp(attributes)) }
}

extension ModelBuilder {
  /// `GroupNorm(groups, channels)`, affine when `weight` and `bias` are given.
  public mutating func groupNorm(
    _ x: String, groups: Int, channels: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5, name: String? = nil
  ) -> String {
    var parameters: [String: Tensor] = [:]
    parameters["weight"] = weight
    parameters["bias"] = bias
    let attributes = NormAttributes(channels: channels, groups: groups, eps: eps, affine: weight != nil || bias != nil)
    return add(.groupNorm(attributes), [x], parameters: parameters, name: name)
  }
}
