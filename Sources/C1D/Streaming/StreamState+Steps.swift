/// Running one step of a stream on the frames it has: each kind emits exactly the output frames its inputs
/// determine, then forgets the input frames no later output reads.
extension StreamState {
  mutating func run(step i: Int, final: Bool, plan: StreamPlan, context: ExecutionContext) {
    let step = plan.steps[i]
    switch step.kind {
    case .window(let w): runWindow(i, w, isIdentity: false, final: final, plan: plan, context: context)
    case .identity(let w): runWindow(i, w, isIdentity: true, final: final, plan: plan, context: context)
    case .pointwise: runPointwise(i, final: final, plan: plan, context: context)
    case .reduction: fold(i, final: final, plan: plan)
    case .once:
      if final, plan.analysis.roles[step.output] == .tail { runOnce(step, plan: plan, context: context, batch: batch ?? 1) }
    }
  }

  /// Runs a step whose inputs are all fixed-size values (constants at the start, tail values at the end).
  mutating func runOnce(_ step: StreamPlan.Step, plan: StreamPlan, context: ExecutionContext, batch: Int) {
    let inputs = step.inputs.map { fixedValues[$0]! }
    fixedValues[step.output] = step.kernel.run(inputs, output: plan.fixedShapes[step.output]!, context: context)
  }

  private mutating func runWindow(
    _ i: Int, _ w: StreamWindow, isIdentity: Bool, final: Bool, plan: StreamPlan, context: ExecutionContext
  ) {
    let step = plan.steps[i]
    let source = step.inputs[0]
    let e = emitted[i]
    let target = windowTarget(i, w, final: final, plan: plan)
    if final { appendRightPadding(i, w, through: (target - 1) * w.stride + w.span, source: source) }
    let m = target - e
    if leftReady[i], m > 0, let end = ports[i][0]?.end, (target - 1) * w.stride + w.span <= end {
      let from = e * w.stride
      let n = (m - 1) * w.stride + w.span
      let frames = ports[i][0]!.frames(from: from, count: n)
      var output: Activation
      if isIdentity {
        output = Activation(shape: ValueShape(channels: plan.channels[step.output], length: m), batch: batch!, data: frames)
      } else {
        var inputs = [Activation(shape: ValueShape(channels: plan.channels[source], length: n), batch: batch!, data: frames)]
        for port in step.inputs.indices.dropFirst() { inputs.append(operand(i, port, from: e, count: m, plan: plan)) }
        output = step.kernel.run(inputs, output: ValueShape(channels: plan.channels[step.output], length: m), context: context)
        if case .average(let counts) = w.fill {
          rescaleAverages(&output, w, first: e, countsPadding: counts, inputLength: final ? produced[source] : nil)
        }
      }
      emitted[i] += m
      // Replicate and reflect padding at the end copy the last frames: keep them until then.
      let keep = final || w.padRight <= 0 ? 0 : (w.fill == .reflect ? w.padRight + 1 : w.fill == .replicate ? 1 : 0)
      ports[i][0]!.drop(before: min((e + m) * w.stride, end - keep))
      for port in step.inputs.indices.dropFirst() { ports[i][port]?.drop(before: e + m) }
      deliver(output, to: step.output, plan: plan)
    }
    if !final {
      // What the step would still emit if the input ended now: lets a crop after it release frames.
      let total = w.padLeft + produced[source] + pending[source] + w.padRight
      var outputs = w.outputs(padded: max(0, total))
      for (port, slot) in step.inputs.enumerated().dropFirst() where ports[i][port] != nil {
        outputs = min(outputs, produced[slot] + pending[slot])
      }
      pending[step.output] = max(0, outputs - emitted[i])
    }
  }

  /// The output frames a windowed step can emit in all: at the end, the offline count (which ceil mode
  /// decides from the total length); before, what the frames its inputs have produced determine.
  private func windowTarget(_ i: Int, _ w: StreamWindow, final: Bool, plan: StreamPlan) -> Int {
    let step = plan.steps[i]
    if final { return finalShapes[step.output].length ?? 0 }
    let source = step.inputs[0]
    // A crop at the end may only pass frames that are sure not to be among the last ones.
    let usable = produced[source] + min(0, pending[source] + min(0, w.padRight))
    var target = w.outputs(padded: max(0, w.padLeft + usable))
    for (port, slot) in step.inputs.enumerated().dropFirst() where ports[i][port] != nil { target = min(target, produced[slot]) }
    return target
  }

  /// Frames `[from, from + count)` of a frame-by-frame input, or a fixed value whole (it broadcasts).
  private func operand(_ i: Int, _ port: Int, from: Int, count: Int, plan: StreamPlan) -> Activation {
    let slot = plan.steps[i].inputs[port]
    guard let buffer = ports[i][port] else { return fixedValues[slot]! }
    return Activation(
      shape: ValueShape(channels: plan.channels[slot], length: count), batch: buffer.batch,
      data: buffer.frames(from: from, count: count))
  }

  /// At the end of the input: the right padding after the last frame, up to padded frame `needed` (in ceil
  /// mode past the padding, with frames that count for nothing).
  private mutating func appendRightPadding(_ i: Int, _ w: StreamWindow, through needed: Int, source: Int) {
    guard leftReady[i], var buffer = ports[i][0], needed > buffer.end else { return }
    ports[i][0] = nil  // keeps the buffer uniquely referenced while it grows
    let (count, last) = (needed - buffer.end, buffer.end - 1)
    switch w.fill {
    case .constant(let value): buffer.append(filling: count, with: value)
    case .average: buffer.append(filling: count, with: 0)
    case .replicate: for _ in 0..<count { buffer.append(copyOf: last) }
    case .reflect: for j in 0..<count { buffer.append(copyOf: last - 1 - j) }
    }
    ports[i][0] = buffer
  }

  /// Average pooling: the unpadded kernel divided every window by its size; windows reaching past what
  /// PyTorch's divisor counts (the padded input, or without `count_include_pad` the input alone) are
  /// divided by the frames they cover instead.
  private func rescaleAverages(_ y: inout Activation, _ w: StreamWindow, first: Int, countsPadding: Bool, inputLength: Int?) {
    let m = y.shape.length ?? 1
    let rows = y.batch * y.shape.channels
    let inputEnd = w.padLeft + (inputLength ?? Int.max / 4)
    let counted = countsPadding ? 0..<inputEnd + max(0, w.padRight) : w.padLeft..<inputEnd
    for j in 0..<m {
      let start = (first + j) * w.stride
      let covered = min(start + w.span, counted.upperBound) - max(start, counted.lowerBound)
      guard covered < w.span, covered > 0 else { continue }
      let scale = Float(w.span) / Float(covered)
      for r in 0..<rows { y.data[r * m + j] *= scale }
    }
  }

  private mutating func runPointwise(_ i: Int, final: Bool, plan: StreamPlan, context: ExecutionContext) {
    let step = plan.steps[i]
    let streaming = step.inputs.indices.filter { ports[i][$0] != nil }
    let e = emitted[i]
    let m = streaming.map { produced[step.inputs[$0]] }.min()! - e
    if m > 0 {
      let inputs = step.inputs.indices.map { operand(i, $0, from: e, count: m, plan: plan) }
      let output = step.kernel.run(inputs, output: ValueShape(channels: plan.channels[step.output], length: m), context: context)
      emitted[i] += m
      for port in streaming { ports[i][port]!.drop(before: e + m) }
      deliver(output, to: step.output, plan: plan)
    }
    if !final {
      let total = streaming.map { produced[step.inputs[$0]] + pending[step.inputs[$0]] }.min()!
      pending[step.output] = max(0, total - emitted[i])
    }
  }

  /// Folds the new frames into the accumulator; at the end, the reduction's value.
  private mutating func fold(_ i: Int, final: Bool, plan: StreamPlan) {
    let step = plan.steps[i]
    let e = emitted[i]
    let m = produced[step.inputs[0]] - e
    if m > 0 {
      accumulators[i]!.add(operand(i, 0, from: e, count: m, plan: plan))
      ports[i][0]!.drop(before: e + m)
      emitted[i] += m
    }
    if final { fixedValues[step.output] = accumulators[i]!.result(shape: plan.fixedShapes[step.output]!, batch: batch!) }
  }

  /// The frames gathered for each output, as tensors shaped like the chunks (`(C, m)` or `(N, C, m)`); at
  /// the end, outputs that exist only then as the offline run shapes them.
  func outputs(plan: StreamPlan) -> [String: Tensor] {
    var result: [String: Tensor] = [:]
    for (name, slot) in zip(plan.outputNames, plan.outputSlots) {
      if plan.analysis.roles[slot] != .streaming, finished, let value = fixedValues[slot] {
        result[name] = Tensor(uncheckedShape: batched ? [value.batch] + value.shape.dimensions : value.shape.dimensions, values: value.data)
        continue
      }
      let parts = collected[slot] ?? []
      let (n, c) = (batch ?? 1, plan.channels[slot])
      let m = parts.reduce(0) { $0 + ($1.shape.length ?? 1) }
      var values = [Float](repeating: 0, count: n * c * m)
      var offset = 0
      for part in parts {
        let length = part.shape.length ?? 1
        for r in 0..<n * c {
          values[r * m + offset..<r * m + offset + length] = part.data[r * length..<(r + 1) * length]
        }
        offset += length
      }
      result[name] = Tensor(uncheckedShape: batched ? [n, c, m] : [c, m], values: values)
    }
    return result
  }
}
