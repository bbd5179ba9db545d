/// Offline runs in constant memory: a long input flows through the whole graph in tiles of the time axis
/// (depth first) by the streaming machinery, so that only the input, the output and a few MiB of per-step
/// state and tile activations are alive, whatever the length. The result is the layer-by-layer run's up to
/// float rounding: a kernel sees other lengths per call and may pick another algorithm or summation order
/// (Whisper's front at 3000 frames: 1e-6 apart at most; the tests hold tiles within 1e-5 relative).
extension Model {
  /// Layer-by-layer activations above this many bytes run in tiles when the graph can stream. Tiles keep
  /// activations in cache but copy the frames each step keeps: on this machine WaveNet and TCN run tiled
  /// within ±10% of layer by layer on 20 k–100 k frames (README, "Streaming"), so tiles start where memory,
  /// not speed, decides.
  public static let tilingThreshold = 192 << 20

  /// The activation memory `run` needs for one input of `length` frames and `batch` samples under
  /// `memoryLimit` and `tileAbove`: the layer-by-layer peak (`activationBytes`) where `run` goes layer by
  /// layer; where it goes in time tiles (`runsInTiles`), the tiled run's (its outputs, assembled whole, and a
  /// bound on its tiles). For callers that refuse a run before allocating its input, as `convrun` does; a
  /// graph whose streaming plan fails after its analysis passed is refused by `run` itself.
  /// - Throws: `C1DError` when no input of this length fits the model's shape rules.
  public func runActivationBytes(
    forInputLength length: Int, batch: Int = 1, memoryLimit: Int = Model.defaultMemoryLimit,
    tileAbove: Int = Model.tilingThreshold
  ) throws -> Int {
    let layered = try activationBytes(forInputLength: length, batch: batch)
    guard
      runsInTiles(
        layeredBytes: layered, inputCount: graph.inputs.count, length: length, batch: batch, memoryLimit: memoryLimit,
        tileAbove: tileAbove),
      let tiled = try tiledActivationBytes(length: length, batch: batch)
    else { return layered }
    return tiled
  }

  /// Whether `run` goes in time tiles for one input of `length` frames and `batch` samples: a single-input
  /// graph that can stream, layer-by-layer activations above `memoryLimit` or `tileAbove`, and an input
  /// longer than one tile (`run` would otherwise make one tile of it all, as a layer-by-layer run does).
  /// - Throws: `C1DError` when no input of this length fits the model's shape rules.
  public func runsTiled(
    forInputLength length: Int, batch: Int = 1, memoryLimit: Int = Model.defaultMemoryLimit,
    tileAbove: Int = Model.tilingThreshold
  ) throws -> Bool {
    let layered = try activationBytes(forInputLength: length, batch: batch)
    return runsInTiles(
      layeredBytes: layered, inputCount: graph.inputs.count, length: length, batch: batch, memoryLimit: memoryLimit,
      tileAbove: tileAbove) && (try? StreamAnalysis(validated)) != nil
  }

  /// Whether `run` tries time tiles: one input, layer-by-layer activations above the limit or `tileAbove`,
  /// and an input longer than one tile. `run` and `runActivationBytes` both decide here, so the figure a
  /// caller checks is the run's; whether the graph can stream is left to `runTiled`, which says why not.
  func runsInTiles(layeredBytes: Int, inputCount: Int, length: Int, batch: Int, memoryLimit: Int, tileAbove: Int) -> Bool {
    inputCount == 1 && layeredBytes > min(memoryLimit, tileAbove)
      && length > tileFrames(batch: batch)
  }

  /// A time-tiled run's outputs, plus twice the layer-by-layer peak of an input one tile and one receptive
  /// field long (a tile's activations and the frames each step keeps); nil when the graph cannot stream.
  private func tiledActivationBytes(length: Int, batch: Int) throws -> Int? {
    guard let analysis = try? StreamAnalysis(validated) else { return nil }
    let shapes = try shapeCache.shapes(validated, lengths: [length], batch: batch)
    let tile = tileFrames(batch: batch)
    let window = min(length, tile.addingReportingOverflow(analysis.receptiveField).partialValue)
    guard let working = try? activationBytes(forInputLength: window, batch: batch) else { return nil }
    var elements = 0
    for slot in validated.outputSlots { elements += shapes[slot].elementCount }
    let (outputs, o1) = elements.multipliedReportingOverflow(by: batch * MemoryLayout<Float>.size)
    let (bytes, o2) = outputs.addingReportingOverflow(2 * working)
    return o1 || o2 ? nil : bytes
  }

  /// Frames per tile for this graph: `tileFrames(widestChannels:batch:)` for its widest value.
  func tileFrames(batch: Int) -> Int {
    Self.tileFrames(widestChannels: validated.kinds.map(\.channels).max() ?? 1, batch: batch)
  }

  /// Frames per tile: a tile's widest activation, the step's input and output, fits in half of a 1 MiB L2
  /// cache; never fewer than 256 frames, so that per-call overheads stay small next to the work.
  static func tileFrames(widestChannels: Int, batch: Int) -> Int {
    let bytesPerFrame = max(1, widestChannels * batch * MemoryLayout<Float>.size * 2)
    return max(256, min(16384, (512 << 10) / bytesPerFrame))
  }

  /// Runs a single-input model in time tiles; nil when the graph cannot stream (`reason` then says why).
  /// - Parameter tile: frames per tile; by default `tileFrames` for the graph's widest value.
  func runTiled(
    _ input: Activation, batched: Bool, context: ExecutionContext, reason: inout String?, tile: Int? = nil
  ) throws -> [Activation]? {
    let plan: StreamPlan
    do {
      plan = try StreamPlan(validated, threads: context.threads)
    } catch let error as C1DError {
      reason = "\(error)"
      return nil
    }
    let length = input.shape.length!
    let shapes = try validated.explainedShapes(lengths: [length], batch: batched ? input.batch : nil)
    var state = StreamState(plan: plan, context: context)
    state.start(batch: input.batch, batched: batched, plan: plan)
    var outputs = plan.outputSlots.map { slot in
      plan.analysis.roles[slot] == .streaming
        ? TiledOutput(batch: input.batch, channels: shapes[slot].channels, length: shapes[slot].length ?? 1) : nil
    }
    let tile = max(1, tile ?? tileFrames(batch: input.batch))
    var start = 0
    while start < length {
      let m = min(tile, length - start)
      state.feed(Self.frames(of: input, from: start, count: m), plan: plan, context: context)
      collect(state.collected, into: &outputs, plan: plan)
      start += m
    }
    try state.flush(plan: plan, context: context)
    collect(state.collected, into: &outputs, plan: plan)
    return plan.outputSlots.indices.map { k in
      outputs[k].map { Activation(shape: shapes[plan.outputSlots[k]], batch: input.batch, data: $0.values) }
        ?? state.fixedValues[plan.outputSlots[k]]!
    }
  }

  private func collect(_ collected: [Int: [Activation]], into outputs: inout [TiledOutput?], plan: StreamPlan) {
    for (k, slot) in plan.outputSlots.enumerated() {
      for part in collected[slot] ?? [] { outputs[k]?.append(part) }
    }
  }

  /// Frames `[from, from + count)` of `(N, C, L)`.
  private static func frames(of x: Activation, from: Int, count: Int) -> Activation {
    let length = x.shape.length!
    let rows = x.batch * x.shape.channels
    let data = [Float].uninitialized(count: rows * count) { out in
      x.data.withUnsafeBufferPointer { xb in
        for r in 0..<rows { (out.baseAddress! + r * count).update(from: xb.baseAddress! + r * length + from, count: count) }
      }
    }
    return Activation(shape: ValueShape(channels: x.shape.channels, length: count), batch: x.batch, data: data)
  }
}

/// An output assembled tile by tile into its final `(N, C, L)` array.
struct TiledOutput {
  let rows: Int
  let length: Int
  var values: [Float]
  var filled = 0

  init(batch: Int, channels: Int, length: Int) {
    rows = batch * channels
    self.length = length
    values = [Float](repeating: 0, count: rows * length)
  }

  mutating func append(_ part: Activation) {
    let m = min(part.shape.length ?? 1, length - filled)
    guard m > 0 else { return }
    let (rows, length, filled) = (self.rows, self.length, self.filled)
    values.withUnsafeMutableBufferPointer { out in
      part.data.withUnsafeBufferPointer { p in
        let partLength = part.shape.length ?? 1
        for r in 0..<rows { (out.baseAddress! + r * length + filled).update(from: p.baseAddress! + r * partLength, count: m) }
      }
    }
    self.filled += m
  }
}
