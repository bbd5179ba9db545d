/// A model run on a signal that arrives in chunks: each `push` returns the output frames its chunk
/// completes, `finish` the rest. Concatenated, the outputs equal the offline run on the whole signal, edges
/// included: left padding is applied as the first frames arrive, right padding at `finish`.
///
/// The stream keeps, per step, the input frames its next outputs still need (a convolution's last
/// (k − 1)·d frames and its stride phase) and never recomputes a frame. Memory stays bounded by the model's
/// receptive field and the chunk size, whatever the length of the signal.
///
/// ```swift
/// var stream = try model.makeStream()
/// for chunk in chunks { consume(try stream.push(chunk)) }   // (C_in, n) in, (C_out, m) out
/// consume(try stream.finish())
/// ```
public struct ModelStream: Sendable {
  let plan: StreamPlan
  let context: ExecutionContext
  var state: StreamState

  /// Input frames beyond frame `stride · t` that must arrive before output frame `t` is emitted: 0 for a
  /// causal model. (`stride` is the model's total stride.)
  public var latency: Int { plan.analysis.latency }
  /// Input frames one output frame depends on.
  public var receptiveField: Int { plan.analysis.receptiveField }
  /// Input frames per output frame: the product of the strides.
  public var stride: Int { plan.outputSlots.map { plan.analysis.reach[$0].rate }.max() ?? 1 }
  /// Input frames pushed so far.
  public var inputFrames: Int { state.inputFrames }

  init(plan: StreamPlan, context: ExecutionContext) {
    self.plan = plan
    self.context = context
    state = StreamState(plan: plan, context: context)
  }

  /// Feeds the next `n ≥ 1` frames of the input, `(C_in, n)` or batched `(N, C_in, n)` (the same N on
  /// every call), and returns the output frames they complete: `(C_out, m)` or `(N, C_out, m)`, `m ≥ 0`.
  /// An output that exists only at the end (after a global pool) has no frames until `finish`.
  /// - Throws: `C1DError.invalidInput` for a chunk of the wrong shape, or once the stream has finished.
  public mutating func push(_ chunk: Tensor) throws -> Tensor {
    try singleOutput(pushAll(chunk))
  }

  /// `push` for a model with several outputs: every output's new frames, by name.
  public mutating func pushAll(_ chunk: Tensor) throws -> [String: Tensor] {
    let x = try state.accept(chunk, plan: plan)
    return try state.advance(x, plan: plan, context: context)
  }

  /// Ends the input: applies the right padding and returns the remaining frames (and the values of outputs
  /// that reduce over time, shaped as the offline run shapes them).
  /// - Throws: the offline run's error when the whole signal does not fit the model (too short, say), or
  ///   `C1DError.invalidInput` when no frame was pushed or the stream has already finished.
  public mutating func finish() throws -> Tensor {
    try singleOutput(finishAll())
  }

  /// `finish` for a model with several outputs.
  public mutating func finishAll() throws -> [String: Tensor] {
    try state.finish(plan: plan, context: context)
  }

  private func singleOutput(_ outputs: [String: Tensor]) throws -> Tensor {
    guard plan.outputNames.count == 1 else {
      throw C1DError.invalidInput("this model has \(plan.outputNames.count) outputs; use pushAll(_:) and finishAll()")
    }
    return outputs[plan.outputNames[0]]!
  }
}

extension Model {
  /// Prepares a stream: the model's steps planned for windows of frames. Cheap next to a run; make one
  /// stream per signal.
  /// - Parameter threads: worker threads per step; nil uses every core. Chunks of a few frames gain nothing
  ///   from threads.
  /// - Throws: `C1DError.cannotStream` naming the first node that needs the whole time axis (statistics over
  ///   time, circular padding, softmax over time, …), unless it is a reduction over time that ends the graph:
  ///   those accumulate and produce their value at `finish`.
  public func makeStream(threads: Int? = nil) throws -> ModelStream {
    if let threads, threads < 1 {
      throw C1DError.invalidInput("threads must be at least 1, got \(threads); pass nil to use every core")
    }
    let context = ExecutionContext(threads: threads ?? Self.defaultThreads)
    return ModelStream(plan: try StreamPlan(validated, threads: context.threads), context: context)
  }
}
