/// How each value of a graph flows when the input arrives frame by frame, read from the op definitions'
/// time locality: which values stream, which are fixed (constants), which exist only at the end (what
/// follows a reduction over time); and, for streaming values, where their frames come from in the input.
/// Refuses, naming the node and why, graphs that cannot stream.
struct StreamAnalysis {
  enum Role: Sendable, Hashable {
    /// Known before any input: constants and what is computed from them alone.
    case fixed
    /// Produced frame by frame.
    case streaming
    /// Known only once the input has ended: a reduction over time and what follows it.
    case tail
  }

  /// Where frame `t` of a streaming value reads the input: frames `[rate·t + first, rate·t + last]`.
  struct Reach: Sendable, Hashable {
    var rate = 1
    var first = 0
    var last = 0
    /// Frames at least that the value still yields when the input ends (from right padding): a crop of
    /// fewer frames at its end need not hold frames back.
    var pendingAtEnd = 0
  }

  let roles: [Role]
  let reach: [Reach]
  /// Input frames after frame `rate·t` needed before output frame `t` can be emitted.
  let latency: Int
  /// Input frames one output frame depends on.
  let receptiveField: Int

  init(_ validated: ValidatedGraph) throws {
    let graph = validated.graph
    guard graph.inputs.count == 1 else {
      throw C1DError.invalidInput(
        "a stream takes one input signal; this model has \(graph.inputs.count) inputs (\(graph.inputs.map(\.name).joined(separator: ", "))). Run it offline with model.run(_:) instead")
    }
    var roles = [Role](repeating: .streaming, count: validated.slots.count)
    var reach = [Reach](repeating: Reach(), count: validated.slots.count)
    for (index, node) in graph.nodes.enumerated() {
      let inputs = validated.nodeInputs[index]
      let output = validated.nodeOutputs[index]
      let inputRoles = inputs.map { roles[$0] }
      if inputRoles.allSatisfy({ $0 == .fixed }) {
        roles[output] = .fixed
      } else if inputRoles.contains(.tail) {
        if let streaming = inputs.first(where: { roles[$0] == .streaming }), let tail = inputs.first(where: { roles[$0] == .tail }) {
          throw C1DError.cannotStream(
            node: node.name,
            reason: "it combines '\(validated.name(ofSlot: tail))', known only once the whole signal is in, with '\(validated.name(ofSlot: streaming))' frame by frame, so no frame could be emitted before the end")
        }
        roles[output] = .tail
      } else {
        (roles[output], reach[output]) = try Self.streamingNode(node, inputs: inputs, validated: validated, roles: roles, reach: reach)
      }
    }
    self.roles = roles
    self.reach = reach
    // Latency and receptive field over what the outputs (or the reductions that end the graph) read.
    let ends = validated.outputSlots.filter { roles[$0] == .streaming }
      + graph.nodes.indices.filter { roles[validated.nodeOutputs[$0]] == .tail }.flatMap { validated.nodeInputs[$0] }
        .filter { roles[$0] == .streaming }
    latency = ends.map { reach[$0].last }.max().map { max(0, $0) } ?? 0
    receptiveField = ends.map { reach[$0].last - reach[$0].first + 1 }.max() ?? 1
  }

  /// The role and reach of a node that reads at least one streaming value and no tail value.
  private static func streamingNode(
    _ node: Node, inputs: [Int], validated: ValidatedGraph, roles: [Role], reach: [Reach]
  ) throws -> (Role, Reach) {
    let streaming = inputs.filter { roles[$0] == .streaming }
    switch node.op.timeLocality {
    case .wholeAxis(let reason):
      throw C1DError.cannotStream(node: node.name, reason: reason)
    case .features:
      throw C1DError.cannotStream(node: node.name, reason: "it reads features while its input is still a sequence")
    case .upsampling:
      // Transposed convolutions would need a fractional frame rate in `Reach`; until then refused by name.
      throw C1DError.cannotStream(
        node: node.name, reason: "\(node.op.name) upsamples in time, which streams do not support yet")
    case .reduction:
      return (.tail, Reach())
    case .window(let window):
      return (.streaming, try windowReach(window, node: node, input: reach[streaming[0]]))
    case .pointwise:
      try checkPointwise(node, inputs: inputs, validated: validated, roles: roles, reach: reach)
      let r = streaming.map { reach[$0] }
      return (
        .streaming,
        Reach(
          rate: r[0].rate, first: r.map(\.first).min()!, last: r.map(\.last).max()!,
          pendingAtEnd: r.map(\.pendingAtEnd).min()!)
      )
    }
  }

  private static func windowReach(_ w: TimeWindow, node: Node, input r: Reach) throws -> Reach {
    let padded = w.padLeft > 0 || w.padRight > 0 || w.ceilMode
    guard !padded || ["zeros", "constant", "reflect", "replicate", "-inf", "counted", "excluded"].contains(w.padding) else {
      throw C1DError.cannotStream(node: node.name, reason: "its '\(w.padding)' padding has no streaming form")
    }
    var out = Reach(rate: r.rate * w.stride, first: r.first + r.rate * -w.padLeft, last: r.last + r.rate * (w.span - 1 - w.padLeft))
    if w.padRight < 0 {
      // A crop at the end: frames the input still yields at the end cover it; the rest are held back.
      out.last += r.rate * max(0, -w.padRight - r.pendingAtEnd)
      out.pendingAtEnd = max(0, r.pendingAtEnd + w.padRight) / w.stride
    } else {
      out.pendingAtEnd = (r.pendingAtEnd + w.padRight) / w.stride
    }
    return out
  }

  /// Frame-by-frame operands must advance together, and fixed operands must broadcast over time.
  private static func checkPointwise(
    _ node: Node, inputs: [Int], validated: ValidatedGraph, roles: [Role], reach: [Reach]
  ) throws {
    let streaming = inputs.filter { roles[$0] == .streaming }
    for slot in streaming where reach[slot].rate != reach[streaming[0]].rate {
      throw C1DError.cannotStream(
        node: node.name,
        reason: "it pairs '\(validated.name(ofSlot: streaming[0]))' (1 frame per \(reach[streaming[0]].rate) input frames) with '\(validated.name(ofSlot: slot))' (1 per \(reach[slot].rate)) frame by frame: their lengths agree only for particular input lengths")
    }
    for slot in inputs where roles[slot] == .fixed {
      guard node.op.definition is any BroadcastBinaryOp else {
        throw C1DError.cannotStream(
          node: node.name, reason: "it reads the fixed-length value '\(validated.name(ofSlot: slot))' alongside a streaming one")
      }
    }
  }
}

extension ValidatedGraph {
  /// The name of the value in `slot`.
  func name(ofSlot slot: Int) -> String {
    slot < graph.inputs.count ? graph.inputs[slot].name : graph.nodes[slot - graph.inputs.count].outputs[0]
  }
}
