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
    let bySlot = try validated.shapes(lengths: graph.inputs.map { input in
      guard let length = lengths[input.name] else {
        throw C1DError.invalidInput("no length given for graph input '\(input.name)'")
      }
      return length
    }, batch: batch)
    return validated.slots.mapValues { bySlot[$0] }
  }
}

extension ValidatedGraph {
  /// Largest input length accepted; keeps every length product inside `Int`.
  static let maxLength = 1 << 31

  /// Every value's shape, by slot, for the given length of each graph input (in graph order).
  func shapes(lengths: [Int], batch: Int?) throws -> [ValueShape] {
    var shapes = [ValueShape](repeating: ValueShape(channels: 0, length: nil), count: slots.count)
    for (index, (input, length)) in zip(graph.inputs, lengths).enumerated() {
      guard (1...Self.maxLength).contains(length) else {
        throw C1DError.invalidInput("input '\(input.name)' length must be between 1 and \(Self.maxLength), got \(length)")
      }
      shapes[index] = ValueShape(channels: input.channels, length: length)
    }
    for (index, node) in graph.nodes.enumerated() {
      let check = ShapeCheck(node: node.name, inputNames: node.inputs, inputs: nodeInputs[index].map { shapes[$0] }, batch: batch)
      let shape = try node.op.definition.outputShape(check)
      // Lengths can grow (padding); keep every per-sample size far from overflow.
      if let length = shape.length, length > Self.maxLength {
        throw C1DError.limitExceeded(what: "node '\(node.name)' output length", limit: Self.maxLength, actual: length)
      }
      if shape.channels.multipliedReportingOverflow(by: shape.length ?? 1).overflow || shape.elementCount > 1 << 48 {
        throw C1DError.limitExceeded(what: "node '\(node.name)' output elements per sample", limit: 1 << 48, actual: Int.max)
      }
      shapes[nodeOutputs[index]] = shape
    }
    return shapes
  }
}
