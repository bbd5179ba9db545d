/// The time one step of a run took: what `convrun profile` tabulates.
public struct StepTiming: Sendable, Hashable {
  /// The node the step's kernel stands for (with fusion, the first of the nodes it computes).
  public var node: String
  public var op: String
  /// Every graph node the step computes: more than one when fusion folded pads, norms or activations in.
  public var nodes: [String]
  public var milliseconds: Double
  /// Floating-point operations of those nodes for the whole batch.
  public var flops: Int
}

extension Model {
  /// Runs the model once on `input` (`(N, C, L)`), timing each step of the plan.
  /// - Parameter runs: the best of this many runs is kept per step (the first run pays for page faults).
  /// - Throws: what `run` throws for a bad input.
  public func profile(_ input: Tensor, threads: Int? = nil, runs: Int = 3) throws -> [StepTiming] {
    guard graph.inputs.count == 1, input.shape.count == 3 else {
      throw C1DError.invalidInput("profile(_:) takes one (N, C, L) input of a single-input model, got shape \(input.shape)")
    }
    guard runs >= 1 else { throw C1DError.invalidInput("runs must be at least 1, got \(runs)") }
    _ = try run([graph.inputs[0].name: input], threads: threads, tileAbove: Int.max)  // checks the input, warms up
    let (batch, length) = (input.shape[0], input.shape[2])
    let slotShapes = try shapeCache.shapes(validated, lengths: [length], batch: batch)
    var context = ExecutionContext(threads: threads ?? Self.defaultThreads)
    if plan.preparation == .perRun {
      // Kernels made per run are made by an untimed pass, so that the timings are the steps' alone.
      context.runKernels = RunKernels()
      let activation = Activation(shape: slotShapes[plan.inputSlots[0]], batch: batch, data: input.values)
      _ = plan.execute([activation], shapes: slotShapes, context: context)
    }
    var best = [Double](repeating: .infinity, count: plan.steps.count)
    for _ in 0..<runs {
      let activation = Activation(shape: slotShapes[plan.inputSlots[0]], batch: batch, data: input.values)
      let times = plan.executeTimed([activation], shapes: slotShapes, context: context)
      for index in best.indices { best[index] = min(best[index], times[index]) }
    }
    let flops = try self.flops(shapes: shapes(forInputLength: length, batch: batch))
    return plan.steps.enumerated().map { index, step in
      let covered = (step.covered.isEmpty ? [] : step.covered.sorted()).map { graph.nodes[$0].name }
      return StepTiming(
        node: step.node.name, op: step.node.op.name, nodes: covered, milliseconds: best[index],
        flops: covered.reduce(0) { $0 + (flops[$1] ?? 0) } * batch)
    }
  }
}

extension ExecutionPlan {
  /// `execute`, returning each step's wall time in milliseconds instead of the outputs.
  func executeTimed(_ inputs: [Activation], shapes: [ValueShape], context: ExecutionContext) -> [Double] {
    var values = [Activation?](repeating: nil, count: slotCount)
    for (slot, input) in zip(inputSlots, inputs) { values[slot] = input }
    return steps.map { step in
      let arguments = step.inputs.map { values[$0]! }
      for slot in step.releases { values[slot] = nil }
      let start = Platform.monotonicNanoseconds()
      values[step.outputSlot] = step.kernel.run(arguments, output: shapes[step.outputSlot], context: context)
      return Double(Platform.monotonicNanoseconds() - start) / 1e6
    }
  }
}
