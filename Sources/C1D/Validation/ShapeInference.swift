/// The per-sample shape of a value: `(C, L)` for a sequence, `(F)` for features.
public struct ValueShape: Sendable, Hashable, CustomStringConvertible {
  public var channels: Int
  /// nil for features `(N, F)`.
  public var length: Int?

  public var dimensions: [Int] { length.map { [channels, $0] } ?? [channels] }
  public var elementCount: Int { channels * (length ?? 1) }
  public var description: String { "\(dimensions)" }
}

extension Model {
  /// Every value's per-sample shape for an input of `length` (every graph input).
  /// - Parameters:
  ///   - length: `L_in`.
  ///   - batch: N for a batched input, nil for unbatched; only error messages depend on it.
  /// - Throws: `C1DError.inputTooShort` for the first node whose output would be empty, in PyTorch's words.
  public func shapes(forInputLength length: Int, batch: Int? = nil) throws -> [String: ValueShape] {
    try shapes(forInputLengths: Dictionary(uniqueKeysWithValues: graph.inputs.map { ($0.name, length) }), batch: batch)
  }

  /// Every value's per-sample shape for the given length of each graph input.
  public func shapes(forInputLengths lengths: [String: Int], batch: Int? = nil) throws -> [String: ValueShape] {
    try ShapeInference.infer(graph, lengths: lengths, batch: batch)
  }
}

enum ShapeInference {
  /// Largest input length accepted; keeps every length product inside `Int`.
  static let maxLength = 1 << 31

  static func infer(_ graph: Graph, lengths: [String: Int], batch: Int? = nil) throws -> [String: ValueShape] {
    var shapes: [String: ValueShape] = [:]
    for input in graph.inputs {
      guard let length = lengths[input.name] else {
        throw C1DError.invalidInput("no length given for graph input '\(input.name)'")
      }
      guard (1...maxLength).contains(length) else {
        throw C1DError.invalidInput("input '\(input.name)' length must be between 1 and \(maxLength), got \(length)")
      }
      shapes[input.name] = ValueShape(channels: input.channels, length: length)
    }
    for node in graph.nodes {
      let inputs = node.inputs.map { shapes[$0]! }
      let shape = try outputShape(node, inputs, batch: batch)
      // Lengths can grow (padding); keep every per-sample size far from overflow.
      if let length = shape.length, length > maxLength {
        throw C1DError.limitExceeded(what: "node '\(node.name)' output length", limit: maxLength, actual: length)
      }
      if shape.channels.multipliedReportingOverflow(by: shape.length ?? 1).overflow || shape.elementCount > 1 << 48 {
        throw C1DError.limitExceeded(what: "node '\(node.name)' output elements per sample", limit: 1 << 48, actual: Int.max)
      }
      shapes[node.outputs[0]] = shape
    }
    return shapes
  }

  static func outputShape(_ node: Node, _ inputs: [ValueShape], batch: Int?) throws -> ValueShape {
    let x = inputs[0]
    func tooShort(_ message: String) -> C1DError { .inputTooShort(node: node.name, message: message) }
    switch node.op {
    case .conv1d(let a):
      let length = x.length!
      let (left, right) = a.padAmounts
      if a.paddingMode != .zeros, left + right > 0 {
        try checkPadding(node, mode: a.paddingMode.rawValue, left: left, right: right, input: x, batch: batch)
      }
      let padded = length + left + right
      guard padded >= a.effectiveKernel else {
        throw tooShort("Calculated padded input size per channel: (\(padded)). Kernel size: (\(a.effectiveKernel)). Kernel size can't be greater than actual input size")
      }
      return ValueShape(channels: a.outChannels, length: (padded - a.effectiveKernel) / a.stride + 1)

    case .pad(let a):
      if a.mode != .constant {
        try checkPadding(node, mode: a.mode.rawValue, left: a.left, right: a.right, input: x, batch: batch)
      }
      return ValueShape(channels: x.channels, length: x.length! + a.left + a.right)

    case .slice(let a):
      let range = a.range(forLength: x.length!)
      guard !range.isEmpty else {
        throw tooShort("slice [\(a.start):\(a.stop.map(String.init) ?? "")] of an input of length \(x.length!) is empty")
      }
      return ValueShape(channels: x.channels, length: range.count)

    case .add, .mul:
      if inputs[0] != inputs[1] {
        let dimension = inputs[0].channels != inputs[1].channels ? 1 : 2
        let (a, b) = dimension == 1 ? (inputs[0].channels, inputs[1].channels) : (inputs[0].length ?? 0, inputs[1].length ?? 0)
        throw C1DError.shapeMismatch(node: node.name, value: node.inputs[1], expected: "\(inputs[0])", actual: "\(inputs[1]): The size of tensor a (\(a)) must match the size of tensor b (\(b)) at non-singleton dimension \(dimension)")
      }
      return x

    case .concat:
      for (index, other) in inputs.enumerated() where other.length != x.length {
        throw C1DError.shapeMismatch(node: node.name, value: node.inputs[index], expected: "length \(x.length!)", actual: "Sizes of tensors must match except in dimension 1. Expected size \(x.length!) but got size \(other.length!) for tensor number \(index) in the list.")
      }
      return ValueShape(channels: inputs.reduce(0) { $0 + $1.channels }, length: x.length)

    case .maxPool1d(let a), .avgPool1d(let a):
      let length = x.length!
      let span = a.dilation * (a.kernelSize - 1) + 1
      let numerator = length + 2 * a.padding - span
      var out: Int
      if a.ceilMode {
        out = (numerator >= 0 ? (numerator + a.stride - 1) / a.stride : -((-numerator) / a.stride)) + 1
        // PyTorch: the last window must start inside the input or the left padding.
        if (out - 1) * a.stride >= length + a.padding { out -= 1 }
      } else {
        out = numerator >= 0 ? numerator / a.stride + 1 : (numerator - a.stride + 1) / a.stride + 1
      }
      guard out >= 1 else {
        throw tooShort("Given input size: (\(x.channels)x1x\(length)). Calculated output size: (\(x.channels)x1x\(out)). Output size is too small")
      }
      return ValueShape(channels: x.channels, length: out)

    case .globalAvgPool1d:
      return ValueShape(channels: x.channels, length: 1)

    case .flatten:
      return ValueShape(channels: x.channels * x.length!, length: nil)

    case .linear(let a):
      guard x.channels == a.inFeatures else {
        throw C1DError.shapeMismatch(node: node.name, value: node.inputs[0], expected: "\(a.inFeatures) features", actual: "\(x.channels) features: mat1 and mat2 shapes cannot be multiplied (Nx\(x.channels) and \(a.inFeatures)x\(a.outFeatures))")
      }
      return ValueShape(channels: a.outFeatures, length: nil)

    case .relu, .leakyRelu, .prelu, .elu, .gelu, .silu, .tanh, .sigmoid, .batchNorm, .groupNorm, .layerNorm:
      return x
    }
  }

  /// PyTorch's limits on non-constant padding: reflect needs pad < L, circular pad ≤ L.
  private static func checkPadding(_ node: Node, mode: String, left: Int, right: Int, input: ValueShape, batch: Int?) throws {
    let length = input.length!
    let dims = (batch.map { [$0] } ?? []) + input.dimensions
    switch mode {
    case "reflect":
      guard left < length, right < length else {
        throw C1DError.inputTooShort(node: node.name, message: "Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (\(left), \(right)) at dimension \(dims.count - 1) of input \(dims)")
      }
    case "circular":
      guard left <= length, right <= length else {
        throw C1DError.inputTooShort(node: node.name, message: "Padding value causes wrapping around more than once.")
      }
    default:
      break
    }
  }
}
