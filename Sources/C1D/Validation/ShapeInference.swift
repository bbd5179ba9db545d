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
    let bySlot = try validated.explainedShapes(lengths: graph.inputs.map { input in
      guard let length = lengths[input.name] else {
        throw C1DError.invalidInput("no length given for graph input '\(input.name)'")
      }
      return length
    }, batch: batch)
    return validated.slots.mapValues { bySlot[$0] }
  }
}

extension Model {
  /// The shortest input length (every graph input) the model accepts, or nil when no length up to
  /// the largest accepted one fits. wav2vec 2.0's feature encoder needs 400 samples.
  public var minimumInputLength: Int? { validated.minimumLength() }
}

extension ValidatedGraph {
  /// Largest input length accepted; keeps every length product inside `Int`.
  static let maxLength = 1 << 31

  /// `shapes`, with a too-short input's error also giving the model's minimum input length, which
  /// the node-level message (a padded size against a kernel size deep in the graph) does not tell.
  func explainedShapes(lengths: [Int], batch: Int?) throws -> [ValueShape] {
    do {
      return try shapes(lengths: lengths, batch: batch)
    } catch C1DError.inputTooShort(let node, let message) {
      let hint = minimumLength().map { " — this model needs inputs of at least \($0) samples" } ?? ""
      throw C1DError.inputTooShort(node: node, message: message + hint)
    }
  }

  /// The least length that shape inference accepts for every input, found by bisection: each op's
  /// output length grows with its input's, so acceptance is monotone in the length.
  func minimumLength() -> Int? {
    func fits(_ length: Int) -> Bool {
      (try? shapes(lengths: graph.inputs.map { _ in length }, batch: nil)) != nil
    }
    var high = 1
    while !fits(high) {
      guard high < Self.maxLength else { return nil }
      high = min(high * 2, Self.maxLength)
    }
    var low = high / 2  // fails, or 0
    while high - low > 1 {
      let middle = low + (high - low) / 2
      if fits(middle) { high = middle } else { low = middle }
    }
    return high
  }

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
      let check = ShapeCheck(
        node: node.name, inputNames: node.inputs, inputs: nodeInputs[index].map { shapes[$0] },
        kinds: nodeInputs[index].map { kinds[$0] }, parameterShapes: parameterShapes[index], batch: batch)
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
