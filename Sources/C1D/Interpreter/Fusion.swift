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
/// - activations (PReLU too), `add` and `mul` that alone read a conv's result run as its epilogue.
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
      while let next = soleReader(of: value), !absorbed.contains(next) {
        let reader = nodes[next]
        var fused = true
        switch reader.op {
        case .slice(let s) where epilogue.isEmpty && attributes.stride == 1 && s.start == 0:
          guard let stop = s.stop, stop < 0, -stop <= right else { fused = false; break }
          right += stop
        case .batchNorm(let a) where epilogue.isEmpty:
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
      let kernel = Conv1dKernel(
        attributes: attributes, weight: weight, bias: bias, padLeft: left, epilogue: epilogue)
      steps.append((position, PlannedStep(node: node, kernel: kernel, inputs: [input] + operands, output: value)))
    }
    return steps.sorted { $0.position < $1.position }.map(\.step)
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
