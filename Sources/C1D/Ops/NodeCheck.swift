/// What a value carries, known without an input length: a sequence `(N, C, L)` or features `(N, F)`.
struct ValueKind: Sendable, Hashable, CustomStringConvertible {
  var channels: Int
  var isSequence: Bool
  /// A sequence whose length does not follow the input's: a constant, or what a reduction over time
  /// leaves (length 1). Broadcasting over time pairs such a value with a time-varying one.
  var isFixedLength = false

  var description: String {
    isSequence ? "a sequence of \(plural(channels, "channel"))" : plural(channels, "feature")
  }
}

/// `1 channel`, `2 channels`.
func plural(_ count: Int, _ noun: String) -> String {
  "\(count) \(noun)\(count == 1 ? "" : "s")"
}

/// What an op's `outputKind` checks against: the node's name, its inputs' kinds, its parameter tensors'
/// shapes, and the loader's limits; with the checks ops share, worded as PyTorch words them.
struct NodeCheck {
  let node: String
  let opName: String
  /// Names of the values the node reads, for errors.
  let inputNames: [String]
  let inputs: [ValueKind]
  /// Parameter role to (tensor name, shape).
  let parameters: [String: (tensor: String, shape: [Int])]
  let limits: LoadLimits

  func fail(_ message: String) -> C1DError {
    .invalidHyperparameter(node: node, message: message)
  }

  func positive(_ attribute: String, _ value: Int, _ message: String) throws {
    guard value > 0 else { throw fail(message) }
    try bounded(attribute, value)
  }

  func nonNegative(_ attribute: String, _ value: Int, _ message: String) throws {
    guard value >= 0 else { throw fail(message) }
    try bounded(attribute, value)
  }

  func bounded(_ attribute: String, _ value: Int) throws {
    guard value <= limits.maxHyperparameter else {
      throw C1DError.limitExceeded(what: "node '\(node)' \(attribute)", limit: limits.maxHyperparameter, actual: value)
    }
  }

  func finite(_ value: Double, _ name: String) throws {
    guard value.isFinite else { throw fail("\(name) must be finite, got \(value)") }
  }

  /// Requires exactly the parameter roles in `shapes`, each with its shape.
  func expectParameters(_ shapes: [String: [Int]]) throws {
    for role in parameters.keys.sorted() where shapes[role] == nil {
      let allowed = shapes.isEmpty ? "no parameters" : "only \(shapes.keys.sorted().map { "'\($0)'" }.joined(separator: ", "))"
      throw C1DError.parameterMismatch(
        node: node, tensor: parameters[role]!.tensor, expected: "\(allowed) for op \(opName)", actual: "a '\(role)' parameter")
    }
    for (role, shape) in shapes.sorted(by: { $0.key < $1.key }) {
      guard let parameter = parameters[role] else {
        throw C1DError.parameterMismatch(node: node, tensor: role, expected: "a '\(role)' tensor of shape \(shape)", actual: "none")
      }
      guard parameter.shape == shape else {
        throw C1DError.parameterMismatch(node: node, tensor: parameter.tensor, expected: "shape \(shape)", actual: "shape \(parameter.shape)")
      }
    }
  }

  func expectArity(_ count: ClosedRange<Int>) throws {
    guard count.contains(inputs.count) else {
      let expected = count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "at least \(count.lowerBound)"
      throw C1DError.invalidField(path: "node '\(node)' inputs", expected: "\(expected) input\(expected == "1" ? "" : "s")", actual: "\(inputs.count)")
    }
  }

  func expectSequence(_ index: Int = 0) throws {
    guard inputs[index].isSequence else {
      throw C1DError.shapeMismatch(node: node, value: inputNames[index], expected: "a (N, C, L) sequence", actual: inputs[index].description)
    }
  }

  func expectChannels(_ channels: Int, _ index: Int = 0, because note: String) throws {
    try expectSequence(index)
    guard inputs[index].channels == channels else {
      throw C1DError.shapeMismatch(
        node: node, value: inputNames[index], expected: "\(plural(channels, "channel")) (\(note))",
        actual: plural(inputs[index].channels, "channel"))
    }
  }

  /// One sequence input, no parameters, and the output of the input's kind: what most element-wise
  /// ops check.
  func unaryElementwise(sequenceOnly: Bool = false) throws -> ValueKind {
    try expectArity(1...1)
    if sequenceOnly { try expectSequence() }
    try expectParameters([:])
    return inputs[0]
  }
}

/// What an op's `outputShape` sees: the node's name, its inputs' per-sample shapes and the batch size
/// (for messages that quote the full input size, as PyTorch's do).
struct ShapeCheck {
  let node: String
  let inputNames: [String]
  let inputs: [ValueShape]
  /// The inputs' kinds, as validation established them.
  let kinds: [ValueKind]
  /// The node's parameter tensors' shapes, by role.
  let parameterShapes: [String: [Int]]
  let batch: Int?

  var x: ValueShape { inputs[0] }
  /// The first input's length; only sequence ops ask, and validation has made their inputs sequences.
  var length: Int { inputs[0].length ?? 1 }

  func tooShort(_ message: String) -> C1DError { .inputTooShort(node: node, message: message) }

  /// PyTorch's limits on non-constant padding: reflect needs pad < L, circular pad ≤ L.
  func checkPadding(mode: String, left: Int, right: Int) throws {
    let dims = (batch.map { [$0] } ?? []) + x.dimensions
    switch mode {
    case "reflect":
      guard left < length, right < length else {
        throw tooShort("Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (\(left), \(right)) at dimension \(dims.count - 1) of input \(dims)")
      }
    case "circular":
      guard left <= length, right <= length else {
        throw tooShort("Padding value causes wrapping around more than once.")
      }
    default:
      break
    }
  }
}
