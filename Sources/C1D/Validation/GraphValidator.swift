/// Checks a graph and its weights for everything that does not depend on the input length:
/// names, order, cycles, hyperparameters, parameter shapes, and channel counts along every edge.
struct GraphValidator {
  let graph: Graph
  /// Only the tensors' shapes are read: validating decodes nothing.
  let store: WeightStore
  var limits = LoadLimits.default

  init(graph: Graph, store: WeightStore, limits: LoadLimits = .default) {
    self.graph = graph
    self.store = store
    self.limits = limits
  }

  init(graph: Graph, weights: [String: Tensor], limits: LoadLimits = .default) {
    self.init(graph: graph, store: WeightStore(given: weights), limits: limits)
  }

  private var shapes: [String: [Int]] { store.shapes }

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

  func validate() throws -> ValidatedGraph {
    var stopAtFirst: [C1DError]? = nil
    return try validate(collecting: &stopAtFirst)
  }

  /// With `found` non-nil, node-level problems are appended there instead of thrown.
  private func validate(collecting found: inout [C1DError]?) throws -> ValidatedGraph {
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
        if shapes[tensor] == nil {
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
        kinds[node.outputs[0]] = try node.op.definition.outputKind(check(node, inputKinds))
      } catch {
        try record(error)
        failed.insert(node.outputs[0])
      }
    }
    try checkConstantReaders(kinds: kinds, failed: failed, record: record)
    if let found, !found.isEmpty { throw found[0] }
    guard !graph.outputs.isEmpty else {
      throw C1DError.invalidField(path: "graph.outputs", expected: "at least one output", actual: "none")
    }
    for output in graph.outputs where kinds[output] == nil {
      throw C1DError.invalidField(path: "graph.outputs", expected: "names of defined values", actual: "'\(output)'")
    }
    if let unused = shapes.keys.sorted().first(where: { !usedTensors.contains($0) }) {
      throw C1DError.unusedTensor(unused)
    }
    return ValidatedGraph(graph: graph, store: store, kinds: kinds)
  }

  private func check(_ node: Node, _ inputs: [ValueKind]) -> NodeCheck {
    NodeCheck(
      node: node.name, opName: node.op.name, inputNames: node.inputs, inputs: inputs,
      parameters: node.parameters.mapValues { ($0, shapes[$0]!) }, limits: limits)
  }

  /// A `constant` is one sample broadcast over the batch: only ops that broadcast may read it, and it
  /// cannot be a graph output.
  private func checkConstantReaders(kinds: [String: ValueKind], failed: Set<String>, record: (any Error) throws -> Void) throws {
    let constants = Set(graph.nodes.filter { $0.op.definition is ConstantOp }.map { $0.outputs[0] })
    guard !constants.isEmpty else { return }
    for node in graph.nodes where !node.op.definition.acceptsConstantOperands {
      for input in node.inputs where constants.contains(input) {
        try record(C1DError.shapeMismatch(
          node: node.name, value: input, expected: "a value computed from the input (op \(node.op.name) cannot read a constant)",
          actual: "the constant '\(input)'; fold it into the op's parameters, or combine it with add, sub, mul, div, pow, maximum or minimum"))
      }
    }
    for output in graph.outputs where constants.contains(output) {
      try record(C1DError.invalidField(path: "graph.outputs", expected: "values computed from the inputs", actual: "the constant '\(output)'"))
    }
  }

  private func checkLimits() throws {
    if graph.nodes.count > limits.maxNodes {
      throw C1DError.limitExceeded(what: "node count", limit: limits.maxNodes, actual: graph.nodes.count)
    }
    if shapes.count > limits.maxTensors {
      throw C1DError.limitExceeded(what: "tensor count", limit: limits.maxTensors, actual: shapes.count)
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
