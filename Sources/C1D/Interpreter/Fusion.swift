import CC1DKernels

/// What a convolution does to each output tile after computing it, while the tile is still in cache.
enum Epilogue: Sendable, Hashable {
  /// An activation from CC1DKernels (`C1D_ACT_*`).
  case activation(kind: Int32, parameter: Float)
  /// Adds, or multiplies by, the kernel's extra input `operand` (1-based position in its inputs).
  case add(operand: Int)
  case mul(operand: Int)
  /// PReLU: one slope, or one per output channel.
  case prelu(slopes: [Float])
}

/// One step of the plan: the node whose kernel runs, the values it reads, and the value it writes.
/// After fusion a step may stand for several graph nodes.
struct PlannedStep {
  var node: Node
  var kernel: any OpKernel
  var inputs: [String]
  var output: String
  /// Indices of the graph nodes the step computes (its own, and those fused into it).
  var covered: [Int] = []
}

/// Rewrites the validated graph into fewer, larger steps. Every rewrite computes the same values as the
/// graph, up to float rounding of folded batch norm:
/// - a zero `pad` whose every reader is a zero-padded `conv1d` becomes extra padding of those convs;
/// - a stride-1 `conv1d` followed only by `slice(0, -c)` (a TCN's chomp) drops c of its right padding;
/// - a `batch_norm` that alone reads a `conv1d` is folded into its weights and bias;
/// - activations (PReLU too), `add` and `mul` that alone read a conv's result run as its epilogue; an
///   `add` or `mul` of two conv outputs goes to the later conv, so that a sum of convs accumulates;
/// - `mul(f(conv_a(x)), g(conv_b(x)))` with alike convs of one group and activations f, g (WaveNet's
///   gated unit) becomes one conv over both weight sets, with f·g applied per tile.
/// - an activation that alone reads a group, instance or layer norm runs in the norm's kernel.
/// A fused step runs as early as its inputs allow (`earliestFirst`), never before what it reads.
enum Fusion {
  /// Who reads each value, and which values are graph outputs (which no rewrite may hide).
  struct Readers {
    let byValue: [String: [Int]]
    let graphOutputs: Set<String>
    /// The node computing each value (graph inputs and parameters have none).
    let producer: [String: Int]

    init(_ graph: Graph) {
      var byValue: [String: [Int]] = [:]
      var producer: [String: Int] = [:]
      for (index, node) in graph.nodes.enumerated() {
        for input in node.inputs { byValue[input, default: []].append(index) }
        for output in node.outputs { producer[output] = index }
      }
      self.byValue = byValue
      self.producer = producer
      graphOutputs = Set(graph.outputs)
    }

    /// The one node reading `value`, when exactly one does and it is not a graph output.
    func sole(_ value: String) -> Int? {
      guard !graphOutputs.contains(value), let list = byValue[value], list.count == 1 else { return nil }
      return list[0]
    }
  }

  /// A conv's input and padding after absorbing a zero `pad` in front of it.
  struct PadSource {
    var input: String
    var left: Int
    var right: Int
  }

  static func plan(_ validated: ValidatedGraph, threads: Int, preparing: KernelPreparation = .atLoad) -> [PlannedStep] {
    let nodes = validated.graph.nodes
    let readers = Readers(validated.graph)
    let (padSources, absorbedPads) = absorbablePads(nodes, readers)
    let gatedPairs = Self.gatedPairs(nodes, soleReader: readers.sole)
    var absorbed = absorbedPads
    for pair in gatedPairs.values { absorbed.formUnion(pair.absorbed) }

    var steps: [PendingStep] = []
    for (index, node) in nodes.enumerated() where !absorbed.contains(index) {
      guard let attributes = node.op.attributes(as: Conv1dAttributes.self) else {
        steps.append(normStep(index, validated, readers: readers, absorbed: &absorbed) ?? otherStep(index, validated))
        continue
      }
      var chain = ConvChain(index: index, attributes: attributes, validated: validated, padSource: padSources[node.inputs[0]])
      if let pair = gatedPairs[index] { chain.gate(with: pair, validated: validated) }
      chain.absorbReaders(readers: readers, absorbed: &absorbed, validated: validated)
      steps.append(chain.step(node))
    }
    let weights = validated.parameterShapes.reduce(0) { sum, shapes in
      shapes.values.reduce(sum) { $0 + $1.reduce(1, *) }
    }
    let ordered = earliestFirst(steps.sorted { $0.position < $1.position })
    return build(ordered, threads: weights > Self.parallelPackingAbove ? threads : 1, preparing: preparing)
  }

  /// A node that fuses nothing, as its op's kernel.
  static func otherStep(_ index: Int, _ validated: ValidatedGraph) -> PendingStep {
    let node = validated.graph.nodes[index]
    let parameters = validated.parameters(ofNode: index)
    return PendingStep(position: index, node: node, inputs: node.inputs, output: node.outputs[0], covered: [index]) {
      node.op.definition.makeKernel(parameters)
    }
  }

  /// A group, instance or layer norm with the activation that alone reads it applied by its kernel
  /// (`NormalizationKernel.activation`); nil where there is no such reader.
  static func normStep(
    _ index: Int, _ validated: ValidatedGraph, readers: Readers, absorbed: inout Set<Int>
  ) -> PendingStep? {
    let nodes = validated.graph.nodes
    let node = nodes[index]
    guard let norm = node.op.definition as? any NormalizingOp, let reader = readers.sole(node.outputs[0]),
      !absorbed.contains(reader), let function = nodes[reader].op.definition.activationFunction
    else { return nil }
    absorbed.insert(reader)
    let parameters = validated.parameters(ofNode: index)
    return PendingStep(
      position: index, node: node, inputs: node.inputs, output: nodes[reader].outputs[0], covered: [index, reader]
    ) {
      var kernel = norm.normalizationKernel(parameters)
      kernel.activation = function
      return kernel
    }
  }

  /// `steps` (in an order that computes every input before its reader) reordered so that each runs as
  /// early as its inputs allow, by its first node: a conv that took an add from the end of the graph as
  /// its epilogue (WaveNet's skip sum, which torch.export lists after every layer) still runs beside its
  /// own node, while its input is hot in cache and before the values it reads pile up. Ties keep the
  /// given order, so every producer still runs before its readers.
  static func earliestFirst(_ steps: [PendingStep]) -> [PendingStep] {
    var readyAt: [String: Int] = [:]
    var keys: [Int] = []
    for step in steps {
      let key = step.inputs.reduce(step.covered.min() ?? step.position) { max($0, readyAt[$1] ?? $0) }
      keys.append(key)
      readyAt[step.output] = key
    }
    return steps.indices.sorted { (keys[$0], $0) < (keys[$1], $1) }.map { steps[$0] }
  }

  /// Weights (elements) above which kernels are made on the load's threads (the worker pool's, started
  /// by the first such load). With Dispatch's threads this was 1 Mi: waking them cost a fresh process
  /// 2–6 ms. The pool's start costs well under one, and at two threads a load then takes ECG ResNet
  /// (640 K weights, f32/deflate) 9.7 -> 6.9 ms, QuartzNet (445 K) 6.4 -> 4.6 ms; at 128 K WaveNet
  /// (133 K) lost 0.5 ms of its whole process.
  static let parallelPackingAbove = 1 << 18

  /// A step whose kernel is still to be made (packing its weights is most of a model's load time).
  struct PendingStep: Sendable {
    var position: Int
    var node: Node
    var inputs: [String]
    var output: String
    var covered: [Int]
    var make: @Sendable () -> any OpKernel
  }

  /// Makes the steps' kernels on up to `threads` threads: each kernel packs its own weights, independently
  /// of the others. Under `.perRun`, each step gets the recipe instead (`KernelMadePerRun`).
  static func build(_ pending: [PendingStep], threads: Int, preparing: KernelPreparation = .atLoad) -> [PlannedStep] {
    if preparing == .perRun {
      return pending.enumerated().map { index, step in
        PlannedStep(
          node: step.node, kernel: KernelMadePerRun(make: step.make, id: index), inputs: step.inputs, output: step.output,
          covered: step.covered)
      }
    }
    let kernels = KernelSlots(count: pending.count)
    Parallel.forEach(pending.count, threads: threads) { kernels[$0] = pending[$0].make() }
    return pending.indices.map { index in
      PlannedStep(
        node: pending[index].node, kernel: kernels[index]!, inputs: pending[index].inputs, output: pending[index].output,
        covered: pending[index].covered)
    }
  }

  /// Zero pads that every reader (all zero-padded convs) can absorb: their sources by pad output, and
  /// the pad nodes absorbed.
  static func absorbablePads(_ nodes: [Node], _ readers: Readers) -> ([String: PadSource], Set<Int>) {
    var sources: [String: PadSource] = [:]
    var absorbed = Set<Int>()
    for (index, node) in nodes.enumerated() {
      guard let p = node.op.attributes(as: PadAttributes.self), p.mode == .constant, p.value == 0,
        !readers.graphOutputs.contains(node.outputs[0]), let list = readers.byValue[node.outputs[0]], !list.isEmpty,
        list.allSatisfy({ nodes[$0].op.attributes(as: Conv1dAttributes.self)?.paddingMode == .zeros })
      else { continue }
      sources[node.outputs[0]] = PadSource(input: node.inputs[0], left: p.left, right: p.right)
      absorbed.insert(index)
    }
    return (sources, absorbed)
  }

  /// A conv and what fuses into it: padding, a gate partner, a chomp, a batch norm, an epilogue.
  struct ConvChain {
    var attributes: Conv1dAttributes
    var combined: Conv1dAttributes
    var input: String
    var left: Int
    var right: Int
    /// The conv's weights, then its gate partner's, each as in the file, decoded only when the kernel is
    /// made, on the planning thread that packs them: the decoded copy is freed once packed, and the next
    /// conv's decoding reuses its pages. The per-output-channel scales of folded batch norms (`scales`, in
    /// order) are applied then too.
    var weight: DeferredValues
    var gateWeight: DeferredValues?
    var scales: [[Float]] = []
    var bias: [Float]
    var epilogue: [Epilogue] = []
    var operands: [String] = []
    var value: String
    var position: Int
    var gate: Gate?
    /// The graph nodes this chain computes.
    var covered: [Int]

    init(index: Int, attributes: Conv1dAttributes, validated: ValidatedGraph, padSource: PadSource?) {
      let node = validated.graph.nodes[index]
      let parameters = validated.parameters(ofNode: index)
      self.attributes = attributes
      combined = attributes
      input = node.inputs[0]
      (left, right) = attributes.padAmounts
      if let padSource {
        input = padSource.input
        left += padSource.left
        right += padSource.right
      }
      weight = parameters.deferred("weight")!
      bias = parameters.values("bias", orZeros: attributes.outChannels)
      value = node.outputs[0]
      position = index
      covered = [index]
    }

    /// Doubles the conv with its gated partner's weights; the product node becomes the chain's end.
    mutating func gate(with pair: GatedPair, validated: ValidatedGraph) {
      let other = validated.parameters(ofNode: pair.gateConv)
      gateWeight = other.deferred("weight")!
      bias += other.values("bias", orZeros: attributes.outChannels)
      combined.outChannels *= 2
      gate = pair.gate
      covered += pair.absorbed
      value = validated.graph.nodes[pair.product].outputs[0]
      position = pair.product
    }

    /// Follows the chain of sole readers while each can fuse.
    mutating func absorbReaders(readers: Readers, absorbed: inout Set<Int>, validated: ValidatedGraph) {
      let nodes = validated.graph.nodes
      while let next = readers.sole(value), !absorbed.contains(next), !leavesToLaterConv(next, readers: readers, nodes: nodes),
        absorb(nodes[next], validated: validated, index: next)
      {
        absorbed.insert(next)
        covered.append(next)
        value = nodes[next].outputs[0]
        position = next
      }
    }

    /// Whether `reader` (an add or a mul) also alone reads a conv that comes after this one, which then
    /// takes it as its epilogue with this chain's value as the operand: a sum of conv outputs (WaveNet's
    /// skip connections) is then accumulated conv by conv, instead of this conv waiting for all the others
    /// and every one of their outputs staying alive until it runs.
    private func leavesToLaterConv(_ reader: Int, readers: Readers, nodes: [Node]) -> Bool {
      let node = nodes[reader]
      guard node.op.definition is AddOp || node.op.definition is MulOp else { return false }
      return node.inputs.contains { other in
        guard other != value, let producer = readers.producer[other] else { return false }
        return producer > covered[0] && nodes[producer].op.attributes(as: Conv1dAttributes.self) != nil
          && readers.sole(other) == reader
      }
    }

    /// Fuses `reader` into the conv if it can; false when it cannot.
    private mutating func absorb(_ reader: Node, validated: ValidatedGraph, index: Int) -> Bool {
      let op = reader.op
      let parameters = validated.parameters(ofNode: index)
      if let s = op.attributes(as: SliceAttributes.self) {
        guard epilogue.isEmpty, gate == nil, attributes.stride == 1, s.start == 0, let stop = s.stop, stop < 0, -stop <= right
        else { return false }
        right += stop
      } else if op.definition is BatchNormOp {
        guard epilogue.isEmpty, gate == nil, let kernel = op.definition.makeKernel(parameters) as? BatchNormKernel else { return false }
        foldBatchNorm(kernel)
      } else if op.definition is AddOp || op.definition is MulOp {
        let other = reader.inputs[0] == value ? reader.inputs[1] : reader.inputs[0]
        // The epilogue reads the operand element for element: no broadcasting, no batch-free constant.
        guard other != value, validated.kinds[validated.slots[other]!] == validated.kinds[validated.slots[value]!],
          !validated.isConstant(other)
        else { return false }
        operands.append(other)
        epilogue.append(op.definition is AddOp ? .add(operand: operands.count) : .mul(operand: operands.count))
      } else if op.definition is PReLUOp {
        epilogue.append(.prelu(slopes: parameters("weight")!.values))
      } else if let function = op.definition.activationFunction {
        epilogue.append(.activation(kind: function.kind, parameter: function.parameter))
      } else {
        return false
      }
      return true
    }

    private mutating func foldBatchNorm(_ norm: BatchNormKernel) {
      scales.append(norm.scale)
      for o in 0..<attributes.outChannels { bias[o] = bias[o] * norm.scale[o] + norm.shift[o] }
    }

    func step(_ node: Node) -> PendingStep {
      let (combined, bias, left, epilogue, gate) = (combined, bias, left, epilogue, gate)
      let (weight, gateWeight, scales) = (weight, gateWeight, scales)
      return PendingStep(position: position, node: node, inputs: [input] + operands, output: value, covered: covered) {
        // One norm's scale can go into the packing (no scaled copy); a gate's or several norms' are applied here.
        guard scales.count == 1, gateWeight == nil else {
          return Conv1dKernel.make(
            attributes: combined, loadingWeight: { Self.weights(weight.load(), gateWeight?.load() ?? [], scaledBy: scales) },
            bias: bias, padLeft: left, epilogue: epilogue, gate: gate)
        }
        return Conv1dKernel.make(
          attributes: combined, loadingWeight: weight.load, weightScale: scales[0], bias: bias, padLeft: left,
          epilogue: epilogue, gate: gate)
      }
    }

    /// `weight` then `gateWeight`, each output channel's row times its scale of each folded batch norm in turn
    /// (a float product per norm, as scaling in place gave).
    static func weights(_ weight: [Float], _ gateWeight: [Float], scaledBy scales: [[Float]]) -> [Float] {
      let joined = gateWeight.isEmpty ? weight : weight + gateWeight
      guard let first = scales.first, !first.isEmpty else { return joined }
      let perChannel = joined.count / first.count
      precondition(scales.allSatisfy { $0.count * perChannel == joined.count }, "a norm's channels are the conv's")
      func scale(_ w: UnsafeBufferPointer<Float>, by scale: [Float], into out: UnsafeMutableBufferPointer<Float>) {
        for (o, s) in scale.enumerated() {
          for i in o * perChannel..<(o + 1) * perChannel { out[i] = w[i] * s }
        }
      }
      // The first norm reads the file's weights and writes new ones: no copy made only to scale it in place.
      var folded = joined.withUnsafeBufferPointer { w in [Float].uninitialized(count: w.count) { scale(w, by: first, into: $0) } }
      for next in scales.dropFirst() {
        folded.withUnsafeMutableBufferPointer { w in scale(UnsafeBufferPointer(w), by: next, into: w) }
      }
      return folded
    }
  }

  /// A gated unit found in the graph, keyed (in `gatedPairs`) by its first conv.
  struct GatedPair {
    let gateConv: Int
    let product: Int
    let gate: Gate
    /// Every node the fused step stands for besides the first conv.
    let absorbed: [Int]
  }

  /// Finds `mul(f(conv_a(x)), g(conv_b(x)))`: both convs alike (same input and attributes, one group),
  /// f and g activations or absent, and every intermediate value read only by the next node.
  static func gatedPairs(_ nodes: [Node], soleReader: (String) -> Int?) -> [Int: GatedPair] {
    var producer: [String: Int] = [:]
    for (index, node) in nodes.enumerated() {
      for output in node.outputs { producer[output] = index }
    }
    /// The conv behind a factor of the product, and the activation between them.
    func branch(_ value: String, product: Int) -> (conv: Int, activation: Int?, function: Gate.Function)? {
      guard soleReader(value) == product, let index = producer[value] else { return nil }
      if nodes[index].op.definition is Conv1dAttributes {
        return (index, nil, Gate.Function(kind: Int32(C1D_ACT_IDENTITY), parameter: 0))
      }
      guard let function = nodes[index].op.definition.activationFunction, let input = nodes[index].inputs.first,
        soleReader(input) == index, let conv = producer[input], nodes[conv].op.definition is Conv1dAttributes
      else { return nil }
      return (conv, index, Gate.Function(kind: function.kind, parameter: function.parameter))
    }
    var pairs: [Int: GatedPair] = [:]
    var used = Set<Int>()
    for (index, node) in nodes.enumerated() {
      guard node.op.definition is MulOp, node.inputs.count == 2, node.inputs[0] != node.inputs[1],
        let a = branch(node.inputs[0], product: index), let b = branch(node.inputs[1], product: index),
        var first = nodes[a.conv].op.attributes(as: Conv1dAttributes.self),
        var second = nodes[b.conv].op.attributes(as: Conv1dAttributes.self),
        nodes[a.conv].inputs == nodes[b.conv].inputs, first.groups == 1
      else { continue }
      first.bias = false
      second.bias = false
      guard first == second, used.isDisjoint(with: [a.conv, b.conv]) else { continue }
      let (value, gate) = a.conv < b.conv ? (a, b) : (b, a)
      used.formUnion([a.conv, b.conv])
      pairs[value.conv] = GatedPair(
        gateConv: gate.conv, product: index, gate: Gate(value: value.function, gate: gate.function),
        absorbed: [gate.conv, index] + [value.activation, gate.activation].compactMap { $0 })
    }
    return pairs
  }
}

/// Kernels written by `Parallel.forEach`, each slot by one item only. The storage is a raw buffer,
/// not an array property, so that concurrent writes to distinct slots are not exclusive accesses to one
/// variable.
private final class KernelSlots: @unchecked Sendable {
  private let slots: UnsafeMutableBufferPointer<(any OpKernel)?>

  init(count: Int) {
    slots = .allocate(capacity: count)
    slots.initialize(repeating: nil)
  }

  deinit {
    slots.deinitialize()
    slots.deallocate()
  }

  subscript(index: Int) -> (any OpKernel)? {
    get { slots[index] }
    set { slots[index] = newValue }
  }
}
