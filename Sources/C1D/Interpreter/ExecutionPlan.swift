import CC1DKernels

/// A value flowing through the graph: `batch` samples of `shape`, contiguous `(N, C, L)` or `(N, F)`.
struct Activation: Sendable {
  var shape: ValueShape
  var batch: Int
  var data: [Float]

  var sampleSize: Int { shape.elementCount }

  /// Moves the data out, leaving this activation empty: when nothing else refers to the buffer, the
  /// caller can then write it in place.
  mutating func takeData() -> [Float] {
    let taken = data
    data = []
    return taken
  }
}

/// What every op kernel provides: a pure function from input activations to the output activation,
/// whose shape the planner has already inferred and checked.
protocol OpKernel: Sendable {
  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation
}

/// Per-run settings handed to kernels.
struct ExecutionContext: Sendable {
  var threads: Int
  /// Which micro-kernels to call; the best the CPU has unless a test pins another.
  var kernels: KernelConfig = .current
  /// Under `KernelPreparation.perRun`, the kernels this run made and reuses; nil where each step runs
  /// once per run (its kernel is then made, used and dropped).
  var runKernels: RunKernels?
}

/// The graph turned into steps once, at load: kernels with packed weights, value slots, and the
/// step after which each value's buffer can be released.
struct ExecutionPlan: Sendable {
  struct Step: Sendable {
    var node: Node
    var kernel: any OpKernel
    var inputs: [Int]
    /// The slot this step writes (after fusion, the last fused node's output).
    var outputSlot: Int
    /// Slots whose last reader is this step; their buffers are released after it.
    var releases: [Int]
    /// Indices of the graph nodes the step computes (its own and those fused into it).
    var covered: [Int] = []
  }

  let steps: [Step]
  /// When the steps' kernels are made.
  let preparation: KernelPreparation
  let inputSlots: [Int]
  let outputSlots: [Int]
  let slotCount: Int

  /// - Parameter threads: the most threads making the kernels (packing weights) may use.
  init(_ validated: ValidatedGraph, threads: Int, preparing preparation: KernelPreparation = .atLoad) {
    let planned = Fusion.plan(validated, threads: threads, preparing: preparation)
    self.preparation = preparation
    let slots = validated.slots
    var lastUse = [Int](repeating: -1, count: slots.count)
    for (index, step) in planned.enumerated() {
      for input in step.inputs { lastUse[slots[input]!] = index }
    }
    for slot in validated.outputSlots { lastUse[slot] = Int.max }
    steps = planned.enumerated().map { index, step in
      let inputs = step.inputs.map { slots[$0]! }
      return Step(
        node: step.node, kernel: step.kernel, inputs: inputs, outputSlot: slots[step.output]!,
        releases: Array(Set(inputs.filter { lastUse[$0] == index })), covered: step.covered)
    }
    inputSlots = validated.graph.inputs.map { slots[$0.name]! }
    outputSlots = validated.outputSlots
    slotCount = slots.count
  }

  /// The most activation memory alive at once (bytes) for `batch` samples of the given shapes (by
  /// slot): the inputs, then at each step its output plus everything not yet released. nil when it
  /// overflows.
  func peakActivationBytes(shapes: [ValueShape], batch: Int) -> Int? {
    func bytes(_ slot: Int) -> Int? {
      let (perSample, o1) = shapes[slot].channels.multipliedReportingOverflow(by: shapes[slot].length ?? 1)
      let (all, o2) = perSample.multipliedReportingOverflow(by: batch)
      let (result, o3) = all.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
      return o1 || o2 || o3 ? nil : result
    }
    var live = 0
    for slot in inputSlots {
      guard let b = bytes(slot) else { return nil }
      live += b
    }
    var peak = live
    for step in steps {
      guard let b = bytes(step.outputSlot) else { return nil }
      live += b
      peak = max(peak, live)
      for slot in step.releases { live -= bytes(slot)! }
    }
    return peak
  }

  /// Runs the steps in order on batched inputs, given every value's inferred shape (by slot).
  func execute(_ inputs: [Activation], shapes: [ValueShape], context: ExecutionContext) -> [Activation] {
    var values = [Activation?](repeating: nil, count: slotCount)
    for (slot, input) in zip(inputSlots, inputs) { values[slot] = input }
    for step in steps {
      let arguments = step.inputs.map { values[$0]! }
      // Released before the call, so that the kernel holds the last reference to those buffers and
      // may write its output over its input (`Activation.takeData()`) without a copy.
      for slot in step.releases { values[slot] = nil }
      values[step.outputSlot] = step.kernel.run(arguments, output: shapes[step.outputSlot], context: context)
    }
    return outputSlots.map { values[$0]! }
  }
}
