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
}

/// Rewrites the validated graph into fewer, larger steps. Every rewrite computes the same values as the
/// graph, up to float rounding of folded batch norm:
/// - a zero `pad` whose every reader is a zero-padded `conv1d` becomes extra padding of those convs;
/// - a stride-1 `conv1d` followed only by `slice(0, -c)` (a TCN's chomp) drops c of its right padding;
/// - a `batch_norm` that alone reads a `conv1d` is folded into its weights and bias;
/// - activations (PReLU too), `add` and `mul` that alone read a conv's result run as its epilogue;
/// - `mul(f(conv_a(x)), g(conv_b(x)))` with alike convs of one group and activations f, g (WaveNet's
///   gated unit) becomes one conv over both weight sets, with f·g applied per tile.
/// A fused step runs where its last node stood, so operands computed in between are ready.
enum Fusion {
  static func plan(_ graph: Graph, weights: [String: Tensor]) -> [PlannedStep] {
    let nodes = graph.nodes
    var readers: [String: [Int]] = [:]
    for (index, node) in nodes.enumerated() {
      for input in node.inputs { readers[input, default: []].append(index) }
    }
    let graphOutputs = Set(graph.outputs)
    func soleReader(of value: String) -> Int? {
      guard !graphOutputs.contains(value), let list = readers[value], list.count == 1 else { return nil }
      return list[0]
    }

    var absorbed = Set<Int>()
    // Zero pads that every reader (all zero-padded convs) can absorb.
    var padSource: [String: (input: String, left: Int, right: Int)] = [:]
    for (index, node) in nodes.enumerated() {
      guard case .pad(let p) = node.op, p.mode == .constant, p.value == 0, !graphOutputs.contains(node.outputs[0]),
        let list = readers[node.outputs[0]], !list.isEmpty,
        list.allSatisfy({ if case .conv1d(let a) = nodes[$0].op { a.paddingMode == .zeros } else { false } })
      else { continue }
      padSource[node.outputs[0]] = (node.inputs[0], p.left, p.right)
      absorbed.insert(index)
    }

    let gatedPairs = Self.gatedPairs(nodes, soleReader: soleReader)
    for pair in gatedPairs.values { absorbed.formUnion(pair.absorbed) }

    var steps: [(position: Int, step: PlannedStep)] = []
    for (index, node) in nodes.enumerated() where !absorbed.contains(index) {
      guard case .conv1d(let attributes) = node.op else {
        if !absorbed.contains(index) {
          let kernel = KernelFactory.make(node, weights: weights)
          steps.append((index, PlannedStep(node: node, kernel: kernel, inputs: node.inputs, output: node.outputs[0])))
        }
        continue
      }
      var input = node.inputs[0]
      var (left, right) = attributes.padAmounts
      if let source = padSource[input] {
        input = source.input
        left += source.left
        right += source.right
      }
      var weight = weights[node.parameters["weight"]!]!.values
      var bias = node.parameters["bias"].map { weights[$0]!.values } ?? [Float](repeating: 0, count: attributes.outChannels)
      var epilogue: [Epilogue] = []
      var operands: [String] = []
      var value = node.outputs[0]
      var position = index
      var combined = attributes
      var gate: Gate?
      if let pair = gatedPairs[index] {
        let other = nodes[pair.gateConv]
        weight += weights[other.parameters["weight"]!]!.values
        bias += other.parameters["bias"].map { weights[$0]!.values } ?? [Float](repeating: 0, count: attributes.outChannels)
        combined.outChannels *= 2
        gate = pair.gate
        value = nodes[pair.product].outputs[0]
        position = pair.product
      }
      while let next = soleReader(of: value), !absorbed.contains(next) {
        let reader = nodes[next]
        var fused = true
        switch reader.op {
        case .slice(let s) where epilogue.isEmpty && gate == nil && attributes.stride == 1 && s.start == 0:
          guard let stop = s.stop, stop < 0, -stop <= right else { fused = false; break }
          right += stop
        case .batchNorm(let a) where epilogue.isEmpty && gate == nil:
          let p = reader.parameters
          let kernel = BatchNormKernel(
            attributes: a, mean: weights[p["running_mean"]!]!, variance: weights[p["running_var"]!]!,
            weight: p["weight"].map { weights[$0]! }, bias: p["bias"].map { weights[$0]! })
          let perChannel = weight.count / attributes.outChannels
          for o in 0..<attributes.outChannels {
            for i in o * perChannel..<(o + 1) * perChannel { weight[i] *= kernel.scale[o] }
            bias[o] = bias[o] * kernel.scale[o] + kernel.shift[o]
          }
        case .add, .mul:
          let other = reader.inputs[0] == value ? reader.inputs[1] : reader.inputs[0]
          guard other != value else { fused = false; break }
          operands.append(other)
          epilogue.append(reader.op == .add ? .add(operand: operands.count) : .mul(operand: operands.count))
        case .prelu:
          epilogue.append(.prelu(slopes: weights[reader.parameters["weight"]!]!.values))
        default:
          if let (kind, parameter) = activation(reader.op) {
            epilogue.append(.activation(kind: kind, parameter: parameter))
          } else {
            fused = false
          }
        }
        guard fused else { break }
        absorbed.insert(next)
        value = reader.outputs[0]
        position = next
      }
      let kernel = Conv1dKernel.make(
        attributes: combined, weight: weight, bias: bias, padLeft: left, epilogue: epilogue, gate: gate)
      steps.append((position, PlannedStep(node: node, kernel: kernel, inputs: [input] + operands, output: value)))
    }
    return steps.sorted { $0.position < $1.position }.map(\.step)
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
      if case .conv1d = nodes[index].op {
        return (index, nil, Gate.Function(kind: Int32(C1D_ACT_IDENTITY), parameter: 0))
      }
      guard let (kind, parameter) = activation(nodes[index].op), let input = nodes[index].inputs.first,
        soleReader(input) == index, let conv = producer[input], case .conv1d = nodes[conv].op
      else { return nil }
      return (conv, index, Gate.Function(kind: kind, parameter: parameter))
    }
    var pairs: [Int: GatedPair] = [:]
    var used = Set<Int>()
    for (index, node) in nodes.enumerated() {
      guard case .mul = node.op, node.inputs.count == 2, node.inputs[0] != node.inputs[1],
        let a = branch(node.inputs[0], product: index), let b = branch(node.inputs[1], product: index),
        case .conv1d(var first) = nodes[a.conv].op, case .conv1d(var second) = nodes[b.conv].op,
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

  /// The C kernel and parameter of an activation op; nil for other ops (and PReLU). The one table
  /// from activation ops to `C1D_ACT_*` kernels.
  static func activation(_ op: Op) -> (Int32, Float)? {
    switch op {
    case .relu: (Int32(C1D_ACT_RELU), 0)
    case .leakyRelu(let slope): (Int32(C1D_ACT_LEAKY_RELU), Float(slope))
    case .elu(let alpha): (Int32(C1D_ACT_ELU), Float(alpha))
    case .gelu(.none): (Int32(C1D_ACT_GELU_ERF), 0)
    case .gelu(.tanh): (Int32(C1D_ACT_GELU_TANH), 0)
    case .silu: (Int32(C1D_ACT_SILU), 0)
    case .sigmoid: (Int32(C1D_ACT_SIGMOID), 0)
    case .tanh: (Int32(C1D_ACT_TANH), 0)
    default: nil
    }
  }
}
