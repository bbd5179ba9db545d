/// A `torch.nn.Conv1d` layer: hyperparameters and its weight `(out, in/groups, k)` and bias `(out)`.
public struct Conv1d: Sendable, Hashable {
  public var attributes: Conv1dAttributes
  public var weight: Tensor
  public var bias: Tensor?

  /// A layer initialised as PyTorch does: weight and bias from U(−√k, √k), k = groups / (C_in · kernel_size).
  /// - Parameters:
  ///   - generator: the source of randomness; a `SeededGenerator` makes the weights reproducible.
  /// - Throws: `C1DError.invalidHyperparameter` for impossible hyperparameters, in PyTorch's words.
  public init(
    inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .explicit(0),
    dilation: Int = 1, groups: Int = 1, bias: Bool = true, paddingMode: PaddingMode = .zeros,
    using generator: inout some RandomNumberGenerator
  ) throws {
    let attributes = Conv1dAttributes(
      inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
      dilation: dilation, groups: groups, bias: bias, paddingMode: paddingMode)
    let shape = [outChannels, max(inChannels, 0) / max(groups, 1), kernelSize]
    try Self.check(attributes, weightShape: shape)
    let limit = LoadLimits.default.maxTensorBytes / MemoryLayout<Float>.size
    guard let count = shape.checkedProduct, count <= limit else {
      throw C1DError.limitExceeded(what: "Conv1d weight elements", limit: limit, actual: shape.checkedProduct ?? Int.max)
    }
    let bound = Float((Double(groups) / Double(inChannels * kernelSize)).squareRoot())
    func uniform(_ count: Int) -> [Float] {
      (0..<count).map { _ in Float.random(in: -bound..<bound, using: &generator) }
    }
    self.attributes = attributes
    self.weight = Tensor(uncheckedShape: shape, values: uniform(count))
    self.bias = bias ? Tensor(uncheckedShape: [outChannels], values: uniform(outChannels)) : nil
  }

  /// A layer with the given weights.
  /// - Throws: `C1DError` when the hyperparameters are impossible or the tensors have the wrong shape.
  public init(attributes: Conv1dAttributes, weight: Tensor, bias: Tensor?) throws {
    self.attributes = attributes
    self.weight = weight
    self.bias = bias
    try Self.check(attributes, weightShape: weight.shape, bias: bias)
  }

  private static func check(_ a: Conv1dAttributes, weightShape: [Int], bias: Tensor? = nil) throws {
    var parameters = ["weight": (tensor: "weight", shape: weightShape)]
    if a.bias { parameters["bias"] = ("bias", bias?.shape ?? [a.outChannels]) }
    let check = NodeCheck(
      node: "Conv1d", opName: Conv1dAttributes.name, inputNames: ["input"],
      inputs: [ValueKind(channels: a.inChannels, isSequence: true)], parameters: parameters, limits: .default)
    _ = try a.outputKind(check)
  }
}
