/// Hyperparameters of `torch.nn.Linear` on `(N, F)` features: the `linear` op.
public struct LinearAttributes: Sendable, Hashable {
  public var inFeatures: Int
  public var outFeatures: Int
  public var bias: Bool

  public init(inFeatures: Int, outFeatures: Int, bias: Bool = true) {
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    self.bias = bias
  }
}

extension Op {
  public static func linear(_ attributes: LinearAttributes) -> Op { Op(attributes) }
}

extension LinearAttributes: OpDefinition {
  static let name = "linear"

  init(attributes a: FieldReader, node: String) throws {
    self.init(inFeatures: try a.int("in_features"), outFeatures: try a.int("out_features"), bias: try a.bool("bias", default: true))
  }

  var attributes: [String: JSONValue] {
    ["in_features": .int(Int64(inFeatures)), "out_features": .int(Int64(outFeatures)), "bias": .bool(bias)]
  }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try check.expectArity(1...1)
    try check.positive("in_features", inFeatures, "in_features must be positive, got \(inFeatures)")
    try check.positive("out_features", outFeatures, "out_features must be positive, got \(outFeatures)")
    guard !check.inputs[0].isSequence else {
      throw C1DError.shapeMismatch(
        node: check.node, value: check.inputNames[0], expected: "(N, \(inFeatures)) features (flatten first)", actual: check.inputs[0].description)
    }
    var shapes = ["weight": [outFeatures, inFeatures]]
    if bias { shapes["bias"] = [outFeatures] }
    try check.expectParameters(shapes)
    return ValueKind(channels: outFeatures, isSequence: false)
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    guard infer.x.channels == inFeatures else {
      throw C1DError.shapeMismatch(
        node: infer.node, value: infer.inputNames[0], expected: plural(inFeatures, "feature"),
        actual: "\(plural(infer.x.channels, "feature")): mat1 and mat2 shapes cannot be multiplied (Nx\(infer.x.channels) and \(inFeatures)x\(outFeatures))")
    }
    return ValueShape(channels: outFeatures, length: nil)
  }

  func flops(inputs: [ValueShape], output: ValueShape) -> Int { outFeatures * (2 * inFeatures + (bias ? 1 : 0)) }

  var timeLocality: TimeLocality { .features }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel {
    LinearKernel(attributes: self, weight: parameters("weight")!.values, bias: parameters("bias")?.values)
  }

  var summary: String { "\(inFeatures)→\(outFeatures)" }
}
