import CC1DKernels
import Dispatch

extension Model {
  /// Runs a single-input, single-output model on `input`, shaped `(N, C, L)` or unbatched `(C, L)`.
  /// - Returns: the output, unbatched if the input was.
  /// - Throws: `C1DError` if the input's rank, channels or length do not fit the model.
  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    guard graph.inputs.count == 1, graph.outputs.count == 1 else {
      throw C1DError.invalidInput("this model has \(graph.inputs.count) inputs and \(graph.outputs.count) outputs; use run(_:threads:)")
    }
    return try run([graph.inputs[0].name: input])[graph.outputs[0]]!
  }

  /// Runs the model on named inputs.
  /// - Parameters:
  ///   - inputs: one tensor per graph input, all `(N, C, L)` with the same N, or all unbatched `(C, L)`.
  ///   - threads: worker threads; nil uses every core.
  /// - Returns: every graph output by name.
  /// - Throws: `C1DError` if an input is missing or does not fit the model.
  ///   - memoryLimit: the most activation memory (bytes) the run may need at once; checked before
  ///     anything is allocated. Defaults to `Model.defaultMemoryLimit`.
  ///   - tileAbove: layer-by-layer activations above this many bytes (or above `memoryLimit`) run in time
  ///     tiles, in constant memory, when the graph can stream and the input is longer than one tile
  ///     (`runsTiled`); `Int.max` tiles only to stay within the limit.
  public func run(
    _ inputs: [String: Tensor], threads: Int? = nil, memoryLimit: Int = Model.defaultMemoryLimit,
    tileAbove: Int = Model.tilingThreshold
  ) throws -> [String: Tensor] {
    try run(inputs, threads: threads, kernels: .current, memoryLimit: memoryLimit, tileAbove: tileAbove)
  }

  /// The default bound on a run's activation memory: 8 GiB.
  public static let defaultMemoryLimit = 8 << 30

  /// The most activation memory (bytes) a run on inputs of `length` and `batch` needs at once.
  /// - Throws: `C1DError` if the length does not fit the model, or `limitExceeded` if the size overflows.
  public func activationBytes(forInputLength length: Int, batch: Int = 1) throws -> Int {
    let shapes = try shapeCache.shapes(validated, lengths: graph.inputs.map { _ in length }, batch: batch)
    guard let bytes = plan.peakActivationBytes(shapes: shapes, batch: batch) else {
      throw C1DError.limitExceeded(what: "activation memory for input length \(length) and batch \(batch)", limit: Int.max, actual: Int.max)
    }
    return bytes
  }

  /// - Parameter tileAbove: layer-by-layer activations above this many bytes run in time tiles when the
  ///   graph can stream (`Model+Tiling.swift`); tests lower it.
  func run(
    _ inputs: [String: Tensor], threads: Int?, kernels: KernelConfig, memoryLimit: Int = Model.defaultMemoryLimit,
    tileAbove: Int = Model.tilingThreshold
  ) throws -> [String: Tensor] {
    if let threads, threads < 1 {
      throw C1DError.invalidInput("threads must be at least 1, got \(threads); pass nil to use every core")
    }
    guard memoryLimit >= 0 else {
      throw C1DError.invalidInput("memoryLimit must be a number of bytes ≥ 0, got \(memoryLimit)")
    }
    var activations: [Activation] = []
    var batched: Bool?
    var batch = 1
    for input in graph.inputs {
      guard let tensor = inputs[input.name] else { throw C1DError.invalidInput("missing input '\(input.name)'") }
      let shape = tensor.shape
      guard shape.count == 2 || shape.count == 3 else {
        throw C1DError.invalidInput("input '\(input.name)': Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: \(shape)")
      }
      let isBatched = shape.count == 3
      if let batched, batched != isBatched {
        throw C1DError.invalidInput("input '\(input.name)': all inputs must be batched or all unbatched")
      }
      batched = isBatched
      let n = isBatched ? shape[0] : 1
      guard n >= 1 else {
        throw C1DError.invalidInput("input '\(input.name)': batch size must be at least 1, got an input of shape \(shape)")
      }
      if activations.isEmpty { batch = n }
      guard n == batch else {
        throw C1DError.invalidInput("input '\(input.name)': batch size \(n), expected \(batch) like the other inputs")
      }
      let channels = shape[shape.count - 2]
      let length = shape[shape.count - 1]
      guard channels == input.channels else {
        throw C1DError.invalidInput("input '\(input.name)': expected input\(shape) to have \(input.channels) channels, but got \(channels) channels instead")
      }
      guard length >= 1 else { throw C1DError.invalidInput("input '\(input.name)': length must be at least 1, got \(length)") }
      activations.append(Activation(shape: ValueShape(channels: channels, length: length), batch: batch, data: tensor.values))
    }
    let lengths = activations.map { $0.shape.length! }
    let shapes = try shapeCache.shapes(validated, lengths: lengths, batch: batched == true ? batch : nil)
    let needed = plan.peakActivationBytes(shapes: shapes, batch: batch) ?? Int.max
    let context = ExecutionContext(threads: threads ?? Self.defaultThreads, kernels: kernels)
    var whyNotTiled: String?
    let outputs: [Activation]
    if runsInTiles(
      layeredBytes: needed, inputCount: activations.count, length: lengths.first ?? 0, batch: batch, memoryLimit: memoryLimit,
      tileAbove: tileAbove),
      let tiled = try runTiled(activations[0], batched: batched == true, context: context, reason: &whyNotTiled)
    {
      outputs = tiled
    } else {
      guard needed <= memoryLimit else {
        let why = whyNotTiled.map { "; it cannot run in time tiles either: \($0)" } ?? ""
        throw C1DError.limitExceeded(what: "activation memory for input length \(lengths.max()!) and batch \(batch) (bytes)\(why)", limit: memoryLimit, actual: needed)
      }
      let boundary = plan.boundaryBytes(shapes: shapes, batch: batch) ?? needed
      outputs = plan.shouldRunBySample(batch: batch, peakBytes: needed, boundaryBytes: boundary)
        ? plan.executeBySample(activations, shapes: shapes, context: context)
        : plan.execute(activations, shapes: shapes, context: context)
    }
    // Kernels made in this run decoded their tensors now: a bad one gave zeros, and is reported instead.
    if plan.preparation == .perRun { try store.checkAfterRun() }
    var result: [String: Tensor] = [:]
    for (name, output) in zip(graph.outputs, outputs) {
      let dims = output.shape.dimensions
      result[name] = Tensor(uncheckedShape: batched == true ? [output.batch] + dims : dims, values: output.data)
    }
    return result
  }

  /// Process-wide and opt-in: keeps freed memory in the heap instead of returning large blocks to the
  /// kernel, so repeated runs reuse pages rather than fault in fresh zeroed ones (glibc maps every block
  /// above 32 MiB anew by default). On Linux it also asks for transparent huge pages on the next
  /// `hugePageBytes` of heap (address space, not memory: nothing is touched), so that a load and a first run
  /// fault their weights and activations in 2 MiB at a time instead of 4 KiB, and then keeps every thread on
  /// that one heap (glibc's `M_ARENA_MAX` = 1: the loader's worker threads would otherwise allocate from
  /// arenas of their own; a server with many allocating threads may prefer `hugePageBytes: 0`). `convrun`
  /// calls it; a library user decides for their own process.
  /// - Returns: whether the allocator accepted the setting.
  @discardableResult
  public static func keepFreedMemoryForReuse(hugePageBytes: Int = 512 << 20) -> Bool {
    guard c1d_retain_freed_memory() == 1 else { return false }
    if hugePageBytes > 0 { c1d_heap_prefer_huge_pages(hugePageBytes) }
    return true
  }

  @available(*, deprecated, renamed: "keepFreedMemoryForReuse()")
  @discardableResult
  public static func retainFreedMemory() -> Bool { keepFreedMemoryForReuse() }

  /// Every online core.
  public static var defaultThreads: Int { Platform.coreCount }
}
