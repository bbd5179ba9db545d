/// What a value carries, known without an input length: a sequence `(N, C, L)` or features `(N, F)`.
struct ValueKind: Sendable, Hashable, CustomStringConvertible {
  var channels: Int
  var isSequence: Bool

  var description: String {
    isSequence ? "a sequence of \(channels) channels" : "\(channels) features"
  }
}

/// The facts the validator established, handed to the planner.
struct GraphStructure: Sendable {
  var kinds: [String: ValueKind]
}

/// Checks a graph and its weights for everything that does not depend on the input length:
/// names, order, cycles, hyperparameters, parameter shapes, and channel counts along every edge.
struct GraphValidator {
  let graph: Graph
  let weights: [String: Tensor]
  var limits = LoadLimits.default

  /// Every problem found, continuing past failed nodes (their outputs are then not checked further).
  func problems() -> [C1DError] {
    var found: [C1DError]? = []
    do {
      _ = try validate(collecting: &found)
    } catch let error as C1DError where found!.isEmpty {
      found!.append(error)
    } catch {}
    return found!
  }

  func validate() throws -> GraphStructure {
    var stopAtFirst: [C1DError]? = nil
    return try validate(collecting: &stopAtFirst)
  }

  /// With `found` non-nil, node-level problems are appended there instead of thrown.
  private func validate(collecting found: inout [C1DError]?) throws -> GraphStructure {
    func record(_ error: any Error) throws {
      guard found != nil, let error = error as? C1DError else { throw error }
      found!.append(error)
    }
    try checkLimits()
    var kinds: [String: ValueKind] = [:]
    guard !graph.inputs.isEmpty else {
      throw C1DError.invalidField(path: "graph.inputs", expected: "at least one input", actual: "none")
    }
    for input in graph.inputs {
      guard kinds[input.name] == nil else { throw C1DError.duplicateName(kind: "value", name: input.name) }
      try checkRange("graph input '\(input.name)' channels", input.channels, min: 1)
      if let length = input.length { try checkRange("graph input '\(input.name)' length", length, min: 1) }
      if let rate = input.sampleRate, !(rate > 0 && rate.isFinite) {
        throw C1DError.invalidField(path: "graph input '\(input.name)' sample_rate", expected: "a positive number", actual: "\(rate)")
      }
      kinds[input.name] = ValueKind(channels: input.channels, isSequence: true)
    }
    do { try checkNamesAndOrder() } catch {
      try record(error)
      throw error
    }
    var usedTensors = Set<String>()
    var failed = Set<String>()
    for node in graph.nodes {
      for (role, tensor) in node.parameters.sorted(by: { $0.key < $1.key }) {
        usedTensors.insert(tensor)
        if weights[tensor] == nil {
          try record(C1DError.parameterMismatch(node: node.name, tensor: tensor, expected: "a tensor for '\(role)'", actual: "no such tensor"))
          failed.insert(node.outputs[0])
        }
      }
      if failed.contains(node.outputs[0]) || node.inputs.contains(where: failed.contains) {
        failed.insert(node.outputs[0])
        continue
      }
      do {
        let inputKinds = try node.inputs.map { name in
          guard let kind = kinds[name] else { throw C1DError.undefinedValue(node: node.name, value: name) }
          return kind
        }
        kinds[node.outputs[0]] = try NodeChecker(node: node, weights: weights, limits: limits).outputKind(inputs: inputKinds)
      } catch {
        try record(error)
        failed.insert(node.outputs[0])
      }
    }
    if let found, !found.isEmpty { throw found[0] }
    guard !graph.outputs.isEmpty else {
      throw C1DError.invalidField(path: "graph.outputs", expected: "at least one output", actual: "none")
    }
    for output in graph.outputs where kinds[output] == nil {
      throw C1DError.invalidField(path: "graph.outputs", expected: "names of defined values", actual: "'\(output)'")
    }
    if let unused = weights.keys.sorted().first(where: { !usedTensors.contains($0) }) {
      throw C1DError.parameterMismatch(node: "(none)", tensor: unused, expected: "to be used by a node", actual: "unused")
    }
    return GraphStructure(kinds: kinds)
  }

  private func checkLimits() throws {
    if graph.nodes.count > limits.maxNodes {
      throw C1DError.limitExceeded(what: "node count", limit: limits.maxNodes, actual: graph.nodes.count)
    }
    if weights.count > limits.maxTensors {
      throw C1DError.limitExceeded(what: "tensor count", limit: limits.maxTensors, actual: weights.count)
    }
  }

  private func checkRange(_ what: String, _ value: Int, min: Int) throws {
    guard value >= min else {
      throw C1DError.invalidField(path: what, expected: "an integer ≥ \(min)", actual: "\(value)")
    }
    guard value <= limits.maxHyperparameter else {
      throw C1DError.limitExceeded(what: what, limit: limits.maxHyperparameter, actual: value)
    }
  }

  /// Unique names, one output per node, and every input defined by an earlier node; a reference to a
  /// later node is reported as a cycle when the graph has one.
  private func checkNamesAndOrder() throws {
    var nodeNames = Set<String>()
    var producer: [String: Int] = [:]
    let inputNames = Set(graph.inputs.map(\.name))
    for (index, node) in graph.nodes.enumerated() {
      guard !node.name.isEmpty else {
        throw C1DError.invalidField(path: "graph.nodes[\(index)].name", expected: "a non-empty name", actual: "\"\"")
      }
      guard nodeNames.insert(node.name).inserted else { throw C1DError.duplicateName(kind: "node", name: node.name) }
      guard node.outputs.count == 1 else {
        throw C1DError.invalidField(path: "node '\(node.name)' outputs", expected: "exactly 1 output", actual: "\(node.outputs.count)")
      }
      let output = node.outputs[0]
      guard !inputNames.contains(output), producer.updateValue(index, forKey: output) == nil else {
        throw C1DError.duplicateName(kind: "value", name: output)
      }
    }
    if let cycle = findCycle(producer: producer) { throw C1DError.cycle(nodes: cycle) }
    for (index, node) in graph.nodes.enumerated() {
      for input in node.inputs where !inputNames.contains(input) {
        guard let source = producer[input], source < index else {
          throw C1DError.undefinedValue(node: node.name, value: input)
        }
      }
    }
  }

  /// A cycle of node names in dependency order, if any (iterative DFS: no recursion on hostile depth).
  private func findCycle(producer: [String: Int]) -> [String]? {
    enum Mark { case unvisited, active, done }
    var marks = [Mark](repeating: .unvisited, count: graph.nodes.count)
    let dependencies = graph.nodes.map { $0.inputs.compactMap { producer[$0] } }
    for root in graph.nodes.indices where marks[root] == .unvisited {
      var stack: [(node: Int, next: Int)] = [(root, 0)]
      marks[root] = .active
      while let top = stack.last {
        if top.next < dependencies[top.node].count {
          stack[stack.count - 1].next += 1
          let dependency = dependencies[top.node][top.next]
          switch marks[dependency] {
          case .active:
            let path = stack.map(\.node)
            let loop = path[path.lastIndex(of: dependency)!...]
            return loop.map { graph.nodes[$0].name } + [graph.nodes[dependency].name]
          case .unvisited:
            marks[dependency] = .active
            stack.append((dependency, 0))
          case .done:
            break
          }
        } else {
          marks[top.node] = .done
          stack.removeLast()
        }
      }
    }
    return nil
  }
}

/// The per-op rules: hyperparameters, arity, parameter shapes, and the kind of the output.
struct NodeChecker {
  let node: Node
  let weights: [String: Tensor]
  let limits: LoadLimits

  private func fail(_ message: String) -> C1DError {
    .invalidHyperparameter(node: node.name, message: message)
  }

  private func positive(_ attribute: String, _ value: Int, _ message: String) throws {
    guard value > 0 else { throw fail(message) }
    try bounded(attribute, value)
  }

  private func nonNegative(_ attribute: String, _ value: Int, _ message: String) throws {
    guard value >= 0 else { throw fail(message) }
    try bounded(attribute, value)
  }

  private func bounded(_ attribute: String, _ value: Int) throws {
    guard value <= limits.maxHyperparameter else {
      throw C1DError.limitExceeded(what: "node '\(node.name)' \(attribute)", limit: limits.maxHyperparameter, actual: value)
    }
  }

  private func finite(_ value: Double, _ name: String) throws {
    guard value.isFinite else { throw fail("\(name) must be finite, got \(value)") }
  }

  /// Requires exactly the parameter roles `required` plus any of `optional` that are present.
  private func expectParameters(_ shapes: [String: [Int]]) throws {
    for role in node.parameters.keys where shapes[role] == nil {
      throw C1DError.parameterMismatch(node: node.name, tensor: node.parameters[role]!, expected: "no parameter '\(role)' for op \(node.op.name)", actual: "one")
    }
    for (role, shape) in shapes.sorted(by: { $0.key < $1.key }) {
      guard let name = node.parameters[role] else {
        throw C1DError.parameterMismatch(node: node.name, tensor: role, expected: "a '\(role)' tensor of shape \(shape)", actual: "none")
      }
      let actual = weights[name]!.shape
      guard actual == shape else {
        throw C1DError.parameterMismatch(node: node.name, tensor: name, expected: "shape \(shape)", actual: "shape \(actual)")
      }
    }
  }

  private func expectArity(_ inputs: [ValueKind], _ count: ClosedRange<Int>) throws {
    guard count.contains(inputs.count) else {
      let expected = count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "at least \(count.lowerBound)"
      throw C1DError.invalidField(path: "node '\(node.name)' inputs", expected: "\(expected) input(s)", actual: "\(inputs.count)")
    }
  }

  private func expectSequence(_ kind: ValueKind, _ index: Int = 0) throws {
    guard kind.isSequence else {
      throw C1DError.shapeMismatch(node: node.name, value: node.inputs[index], expected: "a (N, C, L) sequence", actual: kind.description)
    }
  }

  private func expectChannels(_ kind: ValueKind, _ channels: Int, _ index: Int = 0, because note: String) throws {
    try expectSequence(kind, index)
    guard kind.channels == channels else {
      throw C1DError.shapeMismatch(node: node.name, value: node.inputs[index], expected: "\(channels) channels (\(note))", actual: "\(kind.channels) channels")
    }
  }

  func outputKind(inputs: [ValueKind]) throws -> ValueKind {
    switch node.op {
    case .conv1d(let a):
      try expectArity(inputs, 1...1)
      try checkConv(a)
      try expectChannels(inputs[0], a.inChannels, because: "Given groups=\(a.groups), weight of size [\(a.outChannels), \(a.inChannels / a.groups), \(a.kernelSize)]")
      return ValueKind(channels: a.outChannels, isSequence: true)

    case .pad(let a):
      try expectArity(inputs, 1...1)
      try expectSequence(inputs[0])
      try nonNegative("left", a.left, "negative padding is not supported, got left=\(a.left)")
      try nonNegative("right", a.right, "negative padding is not supported, got right=\(a.right)")
      try finite(a.value, "value")
      try expectParameters([:])
      return inputs[0]

    case .slice:
      try expectArity(inputs, 1...1)
      try expectSequence(inputs[0])
      try expectParameters([:])
      return inputs[0]

    case .relu, .silu, .tanh, .sigmoid, .gelu:
      try expectArity(inputs, 1...1)
      try expectParameters([:])
      return inputs[0]

    case .leakyRelu(let slope):
      try expectArity(inputs, 1...1)
      try finite(slope, "negative_slope")
      try expectParameters([:])
      return inputs[0]

    case .elu(let alpha):
      try expectArity(inputs, 1...1)
      try finite(alpha, "alpha")
      try expectParameters([:])
      return inputs[0]

    case .prelu(let count):
      try expectArity(inputs, 1...1)
      try positive("num_parameters", count, "num_parameters must be positive, got \(count)")
      if count != 1, inputs[0].channels != count {
        throw C1DError.shapeMismatch(node: node.name, value: node.inputs[0], expected: "\(count) channels (num_parameters)", actual: "\(inputs[0].channels) channels")
      }
      try expectParameters(["weight": [count]])
      return inputs[0]

    case .add, .mul:
      try expectArity(inputs, 2...2)
      try expectParameters([:])
      guard inputs[0] == inputs[1] else {
        throw C1DError.shapeMismatch(node: node.name, value: node.inputs[1], expected: inputs[0].description, actual: inputs[1].description)
      }
      return inputs[0]

    case .concat:
      try expectArity(inputs, 2...Int.max)
      try expectParameters([:])
      for index in inputs.indices { try expectSequence(inputs[index], index) }
      let (total, overflow) = inputs.reduce((0, false)) { acc, kind in
        let r = acc.0.addingReportingOverflow(kind.channels)
        return (r.partialValue, acc.1 || r.overflow)
      }
      guard !overflow, total <= limits.maxHyperparameter else {
        throw C1DError.limitExceeded(what: "node '\(node.name)' output channels", limit: limits.maxHyperparameter, actual: overflow ? Int.max : total)
      }
      return ValueKind(channels: total, isSequence: true)

    case .batchNorm(let a):
      try expectArity(inputs, 1...1)
      try checkNorm(a, groupsMeaningful: false)
      try expectChannels(inputs[0], a.channels, because: "BatchNorm1d num_features")
      var shapes = ["running_mean": [a.channels], "running_var": [a.channels]]
      if a.affine { shapes["weight"] = [a.channels]; shapes["bias"] = [a.channels] }
      try expectParameters(shapes)
      return inputs[0]

    case .groupNorm(let a):
      try expectArity(inputs, 1...1)
      try checkNorm(a, groupsMeaningful: true)
      try expectChannels(inputs[0], a.channels, because: "GroupNorm num_channels")
      try expectParameters(a.affine ? ["weight": [a.channels], "bias": [a.channels]] : [:])
      return inputs[0]

    case .layerNorm(let a):
      try expectArity(inputs, 1...1)
      try checkNorm(a, groupsMeaningful: false)
      try expectChannels(inputs[0], a.channels, because: "LayerNorm normalized_shape [\(a.channels)]")
      try expectParameters(a.affine ? ["weight": [a.channels], "bias": [a.channels]] : [:])
      return inputs[0]

    case .maxPool1d(let a), .avgPool1d(let a):
      try expectArity(inputs, 1...1)
      try expectSequence(inputs[0])
      try positive("kernel_size", a.kernelSize, "kernel_size must be greater than zero, but got \(a.kernelSize)")
      try positive("stride", a.stride, "stride must be greater than zero, but got \(a.stride)")
      try positive("dilation", a.dilation, "dilation must be greater than zero, but got \(a.dilation)")
      try nonNegative("padding", a.padding, "pad must be non-negative, but got pad: \(a.padding)")
      let span = a.dilation * (a.kernelSize - 1) + 1
      if case .maxPool1d = node.op, a.padding > span / 2 {
        throw fail("pad should be at most half of effective kernel size, but got pad=\(a.padding), kernel_size=\(a.kernelSize) and dilation=\(a.dilation)")
      }
      if case .avgPool1d = node.op {
        guard a.dilation == 1 else { throw fail("avg_pool1d has no dilation, got \(a.dilation)") }
        guard a.padding <= a.kernelSize / 2 else {
          throw fail("pad should be at most half of kernel size, but got pad=\(a.padding) and kernel_size=\(a.kernelSize)")
        }
      }
      try expectParameters([:])
      return inputs[0]

    case .globalAvgPool1d:
      try expectArity(inputs, 1...1)
      try expectSequence(inputs[0])
      try expectParameters([:])
      return inputs[0]

    case .flatten:
      try expectArity(inputs, 1...1)
      try expectSequence(inputs[0])
      try expectParameters([:])
      // The feature count depends on the length; shape inference fixes it.
      return ValueKind(channels: inputs[0].channels, isSequence: false)

    case .linear(let a):
      try expectArity(inputs, 1...1)
      try positive("in_features", a.inFeatures, "in_features must be positive, got \(a.inFeatures)")
      try positive("out_features", a.outFeatures, "out_features must be positive, got \(a.outFeatures)")
      guard !inputs[0].isSequence else {
        throw C1DError.shapeMismatch(node: node.name, value: node.inputs[0], expected: "(N, \(a.inFeatures)) features (flatten first)", actual: inputs[0].description)
      }
      var shapes = ["weight": [a.outFeatures, a.inFeatures]]
      if a.bias { shapes["bias"] = [a.outFeatures] }
      try expectParameters(shapes)
      return ValueKind(channels: a.outFeatures, isSequence: false)
    }
  }

  private func checkConv(_ a: Conv1dAttributes) throws {
    try positive("in_channels", a.inChannels, "in_channels must be positive, got \(a.inChannels)")
    try positive("out_channels", a.outChannels, "out_channels must be positive, got \(a.outChannels)")
    try positive("kernel_size", a.kernelSize, "kernel_size must be positive, got \(a.kernelSize)")
    try positive("groups", a.groups, "groups must be a positive integer")
    guard a.inChannels % a.groups == 0 else { throw fail("in_channels must be divisible by groups") }
    guard a.outChannels % a.groups == 0 else { throw fail("out_channels must be divisible by groups") }
    try positive("stride", a.stride, "non-positive stride is not supported")
    try positive("dilation", a.dilation, "dilation should be greater than zero")
    if case .explicit(let p) = a.padding { try nonNegative("padding", p, "negative padding is not supported") }
    if a.padding == .same, a.stride != 1 { throw fail("padding='same' is not supported for strided convolutions") }
    guard a.dilation.multipliedReportingOverflow(by: a.kernelSize).overflow == false else {
      throw C1DError.limitExceeded(what: "node '\(node.name)' dilation × kernel_size", limit: Int.max, actual: Int.max)
    }
    var shapes = ["weight": [a.outChannels, a.inChannels / a.groups, a.kernelSize]]
    if a.bias { shapes["bias"] = [a.outChannels] }
    try expectParameters(shapes)
  }

  private func checkNorm(_ a: NormAttributes, groupsMeaningful: Bool) throws {
    try positive("num_channels", a.channels, "num_channels must be positive, got \(a.channels)")
    try finite(a.eps, "eps")
    guard a.eps >= 0 else { throw fail("eps must be non-negative, got \(a.eps)") }
    if groupsMeaningful {
      try positive("num_groups", a.groups, "num_groups must be positive, got \(a.groups)")
      guard a.channels % a.groups == 0 else { throw fail("num_channels must be divisible by num_groups") }
    } else if a.groups != 1 {
      throw fail("groups must be 1 for \(node.op.name), got \(a.groups)")
    }
  }
}
