/// The mutable side of a stream: per step, the frames of each streaming input not yet consumed and the
/// frames emitted; per value, the frames produced so far and those it would still yield if the input ended
/// now (what lets a crop at the end release frames without waiting).
struct StreamState: Sendable {
  /// Per step, per input: the frames received and not yet consumed (nil for fixed and tail inputs).
  var ports: [[FrameBuffer?]] = []
  /// Per step: whether its left padding is in place (replicate and reflect wait for the first frames).
  var leftReady: [Bool] = []
  /// Per step: output frames emitted (for a reduction, input frames folded in).
  var emitted: [Int]
  var accumulators: [TimeAccumulator?]
  /// By slot.
  var produced: [Int]
  var pending: [Int]
  /// Fixed values from the start, tail values at the end, by slot.
  var fixedValues: [Activation?]
  var batch: Int?
  var batched = false
  var inputFrames = 0
  var finished = false
  /// Every value's offline shape for the whole input, once `finish` has it.
  var finalShapes: [ValueShape] = []
  /// Output frames gathered during one push or finish, by slot.
  var collected: [Int: [Activation]] = [:]

  init(plan: StreamPlan, context: ExecutionContext) {
    emitted = [Int](repeating: 0, count: plan.steps.count)
    accumulators = plan.steps.map { if case .reduction(let a) = $0.kind { a } else { nil } }
    produced = [Int](repeating: 0, count: plan.slotCount)
    pending = produced
    fixedValues = [Activation?](repeating: nil, count: plan.slotCount)
    for step in plan.steps where plan.analysis.roles[step.output] == .fixed {
      runOnce(step, plan: plan, context: context, batch: 1)
    }
  }

  // MARK: - Input

  /// Checks a chunk against the model and the chunks before it.
  mutating func accept(_ chunk: Tensor, plan: StreamPlan) throws -> Activation {
    guard !finished else {
      throw C1DError.invalidInput("this stream has finished; make a new one with model.makeStream() for another signal")
    }
    let shape = chunk.shape
    guard shape.count == 2 || (shape.count == 3 && shape[0] >= 1) else {
      throw C1DError.invalidInput("a stream chunk must be (C_in, n) or (N, C_in, n), got shape \(shape)")
    }
    let isBatched = shape.count == 3
    let n = isBatched ? shape[0] : 1
    if let batch, batch != n || batched != isBatched {
      throw C1DError.invalidInput(
        "chunk of shape \(shape): every chunk of a stream has the batch of the first, \(batched ? "(\(batch), C_in, n)" : "(C_in, n)")")
    }
    guard shape[shape.count - 2] == plan.inputChannels else {
      throw C1DError.invalidInput(
        "chunk of shape \(shape): expected \(plan.inputChannels) input channels, got \(shape[shape.count - 2])")
    }
    if batch == nil { start(batch: n, batched: isBatched, plan: plan) }
    return Activation(shape: ValueShape(channels: plan.inputChannels, length: shape.last!), batch: n, data: chunk.values)
  }

  /// Creates the buffers once the batch is known, with constant left padding already in place.
  mutating func start(batch: Int, batched: Bool, plan: StreamPlan) {
    self.batch = batch
    self.batched = batched
    ports = plan.steps.map { step in
      step.inputs.map { plan.analysis.roles[$0] == .streaming ? FrameBuffer(batch: batch, channels: plan.channels[$0]) : nil }
    }
    leftReady = plan.steps.map { _ in true }
    for (i, step) in plan.steps.enumerated() {
      guard let w = step.window, w.padLeft > 0 else { continue }
      switch w.fill {
      case .constant(let value): ports[i][0]!.append(filling: w.padLeft, with: value)
      case .average: ports[i][0]!.append(filling: w.padLeft, with: 0)
      case .replicate, .reflect:
        // Placeholders, overwritten once the frames they copy have arrived.
        ports[i][0]!.append(filling: w.padLeft, with: 0)
        leftReady[i] = false
      }
    }
  }

  // MARK: - Advancing

  /// Delivers a chunk of input and runs every step as far as the frames allow.
  mutating func advance(_ x: Activation, plan: StreamPlan, context: ExecutionContext) throws -> [String: Tensor] {
    feed(x, plan: plan, context: context)
    return outputs(plan: plan)
  }

  /// `advance`, leaving the new output frames in `collected`.
  mutating func feed(_ x: Activation, plan: StreamPlan, context: ExecutionContext) {
    collected = [:]
    guard (x.shape.length ?? 0) > 0 else { return }
    inputFrames += x.shape.length!
    deliver(x, to: plan.inputSlot, plan: plan)
    for i in plan.steps.indices { run(step: i, final: false, plan: plan, context: context) }
  }

  /// Ends the input: checks the whole length against the offline shape rules, then flushes every step
  /// with its right padding and computes the values that follow reductions over time.
  mutating func finish(plan: StreamPlan, context: ExecutionContext) throws -> [String: Tensor] {
    try flush(plan: plan, context: context)
    return outputs(plan: plan)
  }

  /// `finish`, leaving the last output frames in `collected` and the tail values in `fixedValues`.
  mutating func flush(plan: StreamPlan, context: ExecutionContext) throws {
    guard !finished else { throw C1DError.invalidInput("this stream has already finished") }
    guard inputFrames > 0, let batch else {
      throw C1DError.invalidInput("no frames were pushed: a stream needs at least one input frame before finish()")
    }
    let shapes = try plan.original.explainedShapes(lengths: [inputFrames], batch: batched ? batch : nil)
    finalShapes = shapes
    finished = true
    collected = [:]
    for i in plan.steps.indices { run(step: i, final: true, plan: plan, context: context) }
    for slot in plan.outputSlots where plan.analysis.roles[slot] == .streaming && produced[slot] != shapes[slot].length {
      throw C1DError.invalidInput(
        "internal error: the stream produced \(produced[slot]) frames of '\(plan.original.name(ofSlot: slot))', the offline run \(shapes[slot].length ?? 0); please report it")
    }
  }

  /// Appends new frames of value `slot` to every step reading it (and to the outputs).
  mutating func deliver(_ x: Activation, to slot: Int, plan: StreamPlan) {
    let first = produced[slot]
    produced[slot] += x.shape.length ?? 1
    if plan.outputSlots.contains(slot) { collected[slot, default: []].append(x) }
    for reader in plan.readers[slot] where ports[reader.step][reader.port] != nil {
      let (i, port) = (reader.step, reader.port)
      // A crop at the start drops the input frames before it.
      let skip = port == 0 ? max(0, -(plan.steps[i].window?.padLeft ?? 0) - first) : 0
      ports[i][port]!.append(x, skipping: min(skip, x.shape.length ?? 1))
      if port == 0, !leftReady[i] { prepareLeftPadding(step: i, window: plan.steps[i].window!, received: produced[slot]) }
    }
  }

  /// Copies replicate or reflect padding into place once the frames it copies have arrived.
  private mutating func prepareLeftPadding(step i: Int, window w: StreamWindow, received: Int) {
    let p = w.padLeft
    switch w.fill {
    case .replicate where received >= 1:
      for j in 0..<p { ports[i][0]!.copy(frame: p, to: j) }
    case .reflect where received >= p + 1:
      for j in 0..<p { ports[i][0]!.copy(frame: p + 1 + j, to: p - 1 - j) }
    default: return
    }
    leftReady[i] = true
  }
}

extension StreamPlan.Step {
  /// The window through which input 0 is read, for windowed and pass-through steps.
  var window: StreamWindow? {
    switch kind {
    case .window(let w), .identity(let w): w
    default: nil
    }
  }
}
