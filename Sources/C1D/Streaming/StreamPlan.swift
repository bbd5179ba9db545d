/// How a windowed step reads its first input in a stream: the op's window, with the padding the stream
/// supplies itself (its kernel runs unpadded, on frames the stream has assembled).
struct StreamWindow: Sendable, Hashable {
  enum Fill: Sendable, Hashable {
    /// Zeros, a constant, or −∞ (a max pool's padding, which never wins).
    case constant(Float)
    case replicate
    case reflect
    /// An average pool's zero padding. Windows that reach past what the divisor counts (the padding, when
    /// `countsPadding` is false; past the padding in ceil mode) are rescaled to PyTorch's divisor.
    case average(countsPadding: Bool)
  }

  var span: Int
  var stride: Int
  /// Frames of padding before the first input frame; negative: input frames dropped (a crop).
  var padLeft: Int
  /// Frames of padding after the last input frame; negative: input frames dropped at the end.
  var padRight: Int
  var fill: Fill

  init(_ w: TimeWindow) {
    span = w.span
    stride = w.stride
    padLeft = w.padLeft
    padRight = w.padRight
    switch w.padding {
    case "reflect": fill = .reflect
    case "replicate": fill = .replicate
    case "-inf": fill = .constant(-.infinity)
    case "excluded": fill = .average(countsPadding: false)
    case "counted": fill = .average(countsPadding: true)
    case "constant": fill = .constant(Float(w.value))
    default: fill = .constant(0)
    }
  }

  /// Output frames from `padded` frames of padded input (padding included, crops excluded).
  func outputs(padded: Int) -> Int { padded >= span ? (padded - span) / stride + 1 : 0 }
}

/// A model prepared for streaming, once, by `makeStream`: the graph with every window op's padding taken
/// out (the stream assembles padding frames itself, so the same kernels run on any window of frames),
/// fused into steps as for offline runs, and how each value flows.
struct StreamPlan: Sendable {
  struct Step: Sendable {
    enum Kind: Sendable {
      /// Input 0 read through a window; further streaming inputs (fused epilogue operands) frame by frame.
      case window(StreamWindow)
      /// A pad or a crop: frames pass through the window's padding without a kernel.
      case identity(StreamWindow)
      /// Every streaming input frame by frame; fixed inputs broadcast.
      case pointwise
      /// Folds every frame of input 0 into an accumulator; the value exists at the end.
      case reduction(TimeAccumulator)
      /// Runs once, on fixed-size values: at the start (fixed role) or at the end (tail role).
      case once
    }
    var name: String
    var kernel: any OpKernel
    var kind: Kind
    var inputs: [Int]
    var output: Int
  }

  let steps: [Step]
  let analysis: StreamAnalysis
  /// The model's own graph, for the offline shape rules checked when the stream ends.
  let original: ValidatedGraph
  let slotCount: Int
  let inputSlot: Int
  let outputSlots: [Int]
  let outputNames: [String]
  /// Channels of every value, by slot.
  let channels: [Int]
  /// Shapes of the fixed and tail values (which do not depend on the input length), by slot.
  let fixedShapes: [ValueShape?]
  let inputChannels: Int
  /// By slot: the steps reading the value, and at which of their inputs.
  let readers: [[Reader]]

  struct Reader: Sendable {
    var step: Int
    var port: Int
  }

  /// - Parameter threads: the most threads making the kernels (packing weights) may use.
  init(_ original: ValidatedGraph, threads: Int) throws {
    let analysis = try StreamAnalysis(original)
    let (graph, chomps) = Self.unpadded(original.graph)
    let unpadded = try GraphValidator(graph: graph, store: original.store).validate()
    // Fixed and tail shapes do not depend on the length: any length the model accepts gives them.
    guard let probe = original.minimumLength(), let shapes = try? original.shapes(lengths: [probe], batch: nil) else {
      throw C1DError.cannotStream(node: original.graph.nodes.last?.name ?? "", reason: "no input length fits every node's shape rules")
    }
    var nodeIndex: [String: Int] = [:]
    for (index, node) in original.graph.nodes.enumerated() { nodeIndex[node.name] = index }
    let fused = Fusion.plan(unpadded, threads: threads)
    // A loaded model's tensors are read again from its file for these kernels, which may have changed since.
    if let failure = original.store.firstFailure() { throw failure }
    let planned = try fused.map { planned in
      let index = nodeIndex[planned.node.name]!
      // Slots of the model's own graph (the unpadded one lacks the values of absorbed chomps' convs).
      let inputs = planned.inputs.map { original.slots[$0]! }
      let output = original.slots[planned.output]!
      let kind = try Self.kind(
        of: original.graph.nodes[index], inputs: inputs, output: output, roles: analysis.roles, shapes: shapes,
        chomp: chomps[planned.node.name] ?? 0)
      return Step(name: planned.node.name, kernel: planned.kernel, kind: kind, inputs: inputs, output: output)
    }
    steps = Self.absorbingZeroPads(planned, keep: Set(original.outputSlots))
    self.analysis = analysis
    self.original = original
    slotCount = original.slots.count
    inputSlot = 0
    outputSlots = original.outputSlots
    outputNames = original.graph.outputs
    channels = original.kinds.map(\.channels)
    fixedShapes = shapes.indices.map { analysis.roles[$0] == .streaming ? nil : shapes[$0] }
    inputChannels = original.graph.inputs[0].channels
    var readers = [[Reader]](repeating: [], count: slotCount)
    for (i, step) in steps.enumerated() {
      for (port, slot) in step.inputs.enumerated() { readers[slot].append(Reader(step: i, port: port)) }
    }
    self.readers = readers
  }

  private static func kind(
    of node: Node, inputs: [Int], output: Int, roles: [StreamAnalysis.Role], shapes: [ValueShape], chomp: Int
  ) throws -> Step.Kind {
    let readsStreaming = inputs.contains { roles[$0] == .streaming }
    guard readsStreaming else { return .once }
    if roles[output] == .tail {
      guard let accumulator = TimeAccumulator(node.op.definition) else {
        throw C1DError.cannotStream(node: node.name, reason: "its reduction over time has no streaming form")
      }
      return .reduction(accumulator)
    }
    for slot in inputs where roles[slot] == .fixed && (shapes[slot].length ?? 1) != 1 {
      throw C1DError.cannotStream(
        node: node.name,
        reason: "it pairs a fixed value of \(shapes[slot].length!) frames with a streaming one frame by frame: only one input length fits")
    }
    guard case .window(var w) = node.op.timeLocality else {
      // A frame-by-frame op keeps the length; one that claims to and does not would be misaligned.
      if let source = inputs.first(where: { roles[$0] == .streaming }), shapes[output].length != shapes[source].length {
        throw C1DError.cannotStream(node: node.name, reason: "its output length differs from its input's, which a frame-by-frame op cannot do")
      }
      return .pointwise
    }
    w.padRight -= chomp
    let isPassThrough = node.op.definition is PadAttributes || node.op.definition is SliceAttributes
    // Windows stream by running the op unpadded (see `unpadded`): only ops whose padding that removes.
    let canUnpad = node.op.definition.unpadded != nil
    guard isPassThrough || canUnpad else {
      throw C1DError.cannotStream(node: node.name, reason: "\(node.op.name)'s window has no streaming form yet")
    }
    return isPassThrough ? .identity(StreamWindow(w)) : .window(StreamWindow(w))
  }

  /// Zero pads read by windowed steps that pad with zeros themselves (a WaveNet's causal `F.pad` before each
  /// conv) become those steps' own padding, as offline fusion does: one copy of the frames fewer. A pad
  /// left without readers is dropped.
  static func absorbingZeroPads(_ steps: [Step], keep: Set<Int>) -> [Step] {
    var steps = steps
    var producer: [Int: Int] = [:]
    for (i, step) in steps.enumerated() { producer[step.output] = i }
    for i in steps.indices {
      guard case .window(var w) = steps[i].kind, w.fill == .constant(0) || (w.padLeft == 0 && w.padRight == 0),
        let p = producer[steps[i].inputs[0]], case .identity(let pad) = steps[p].kind, pad.fill == .constant(0),
        pad.padLeft >= 0, pad.padRight >= 0
      else { continue }
      w.padLeft += pad.padLeft
      w.padRight += pad.padRight
      w.fill = .constant(0)
      steps[i].kind = .window(w)
      steps[i].inputs[0] = steps[p].inputs[0]
    }
    let read = Set(steps.flatMap(\.inputs)).union(keep)
    return steps.filter { step in
      guard case .identity = step.kind else { return true }
      return read.contains(step.output)
    }
  }

  /// The graph with the padding of every windowed op removed: convolutions and pools become unpadded,
  /// pads become identities (`slice [0:]`). A TCN's chomp (`slice [0:-c]` alone reading a stride-1 conv with
  /// at least c frames of right padding) goes: the conv writes the chomp's value, and the stream pads it
  /// c frames less on the right (as offline fusion does), so that what follows fuses into the conv again.
  /// - Returns: the graph, and the chomped frames by conv node name.
  static func unpadded(_ graph: Graph) -> (Graph, [String: Int]) {
    var graph = graph
    let chomps = chompsToAbsorb(graph)
    var dropped = Set<Int>()
    for index in graph.nodes.indices {
      let op = graph.nodes[index].op
      guard case .window = op.timeLocality else { continue }
      guard let unpadded = op.definition.unpadded else { continue }
      graph.nodes[index].op = unpadded
      if let (slice, _) = chomps[index] {
        graph.nodes[index].outputs = graph.nodes[slice].outputs
        dropped.insert(slice)
      }
    }
    let names = Dictionary(uniqueKeysWithValues: chomps.map { (graph.nodes[$0.key].name, $0.value.frames) })
    graph.nodes = graph.nodes.indices.filter { !dropped.contains($0) }.map { graph.nodes[$0] }
    return (graph, names)
  }

  /// Chomps that can become their conv's padding: by conv node index, the slice's index and frames.
  private static func chompsToAbsorb(_ graph: Graph) -> [Int: (slice: Int, frames: Int)] {
    var readers: [String: [Int]] = [:]
    var producer: [String: Int] = [:]
    for (index, node) in graph.nodes.enumerated() {
      for input in node.inputs { readers[input, default: []].append(index) }
      producer[node.outputs[0]] = index
    }
    var found: [Int: (slice: Int, frames: Int)] = [:]
    for (index, node) in graph.nodes.enumerated() {
      guard let slice = node.op.attributes(as: SliceAttributes.self), slice.start == 0, let stop = slice.stop, stop < 0,
        let conv = producer[node.inputs[0]], let a = graph.nodes[conv].op.attributes(as: Conv1dAttributes.self),
        a.stride == 1, a.padAmounts.right >= -stop, readers[node.inputs[0]] == [index],
        !graph.outputs.contains(node.inputs[0])
      else { continue }
      found[conv] = (index, -stop)
    }
    return found
  }
}
