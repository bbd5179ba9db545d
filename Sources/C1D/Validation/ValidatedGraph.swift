/// A graph that passed validation, handed to the planner and to shape inference: weights resolved, every
/// value addressed by a slot (graph inputs first, then node outputs in order), every value's kind known.
struct ValidatedGraph: Sendable {
  let graph: Graph
  let store: WeightStore
  let slots: [String: Int]
  /// By slot.
  let kinds: [ValueKind]
  /// Per node, the slots it reads.
  let nodeInputs: [[Int]]
  /// Per node, the slot it writes.
  let nodeOutputs: [Int]
  let outputSlots: [Int]
  /// Per node, its parameter tensors' shapes by role.
  let parameterShapes: [[String: [Int]]]

  init(graph: Graph, store: WeightStore, kinds: [String: ValueKind]) {
    var slots: [String: Int] = [:]
    for input in graph.inputs { slots[input.name] = slots.count }
    for node in graph.nodes { slots[node.outputs[0]] = slots.count }
    self.graph = graph
    self.store = store
    self.slots = slots
    var byslot = [ValueKind](repeating: ValueKind(channels: 0, isSequence: true), count: slots.count)
    for (name, slot) in slots { byslot[slot] = kinds[name]! }
    self.kinds = byslot
    nodeInputs = graph.nodes.map { $0.inputs.map { slots[$0]! } }
    nodeOutputs = graph.nodes.map { slots[$0.outputs[0]]! }
    outputSlots = graph.outputs.map { slots[$0]! }
    parameterShapes = graph.nodes.map { $0.parameters.mapValues { store.shapes[$0]! } }
  }

  /// Whether `value` is a `constant` node's output: one sample, broadcast over the batch.
  func isConstant(_ value: String) -> Bool {
    guard let slot = slots[value], slot >= graph.inputs.count else { return false }
    return graph.nodes[slot - graph.inputs.count].op.definition is ConstantOp
  }

  /// The parameter tensors of node `index`, by role, decoded when a kernel asks for them.
  func parameters(ofNode index: Int) -> KernelParameters {
    KernelParameters(names: graph.nodes[index].parameters, store: store)
  }
}
