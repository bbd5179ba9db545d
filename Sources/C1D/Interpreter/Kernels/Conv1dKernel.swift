import CC1DKernels

/// `conv1d` planned at load: weights packed once into the GEMM micro-kernel's panel layout, or kept
/// per channel for the direct depthwise kernel.
///
/// The GEMM view per sample and group: `Y[Og × Lout] = W[Og × (Cg·K)] · X[(Cg·K) × Lout] + bias`. X, the
/// im2col matrix, is never materialised: each of its rows at a tile of output positions is a contiguous
/// run of the input (of one phase of it, for a strided conv), handed to the micro-kernel through a table
/// of pointers. Only runs that reach into the padding are copied, with the padding mode applied.
struct Conv1dKernel: OpKernel {
  /// How a conv is computed, chosen once by `make`.
  enum Method: Sendable {
    /// One input channel per group, few outputs per group: channel by channel, reading `weight`.
    case depthwise
    /// The implicit GEMM over `packed` weights.
    case gemm
    /// Kernel 3, stride 1 or 2, by output pairs (see `OutputPairs`); `packed` is also kept (non-empty) for
    /// outputs too short for pairs when the weights are small.
    case pairs(OutputPairs)
  }

  let attributes: Conv1dAttributes
  let method: Method
  /// `(out, in/groups, k)` weights for the depthwise path; empty otherwise.
  let weight: [Float]
  /// The weights in the GEMM micro-kernel's panels of `mr` output channels; empty when unused.
  let packed: [Float]
  let bias: [Float]
  /// Left padding as applied, which fusion may have changed from the attributes'. (The right padding
  /// only sets the output length, which shape inference has already fixed.)
  let padLeft: Int
  let epilogue: [Epilogue]
  /// A gated conv (WaveNet's `tanh(filter(x)) · sigmoid(gate(x))`): `attributes` and the weights hold both
  /// convs, filter rows first; the output is `value(first half) · gate(second half)`, half the channels.
  let gate: Gate?
  /// Rows per packed weight panel: the planning kernel config's `mr`, which the running config must share.
  let mr: Int
  /// Per im2col row, where it reads (GEMM path only).
  let taps: [Tap]
  /// The least and greatest `start` of `taps`.
  let tapStarts: ClosedRange<Int>

  /// Output columns per unit of GEMM work, before narrowing for threads.
  static let tileColumns = 256
  static let depthBlock = 512

  private var groupIn: Int { attributes.inChannels / attributes.groups }
  private var groupOut: Int { attributes.outChannels / attributes.groups }
  var depth: Int { groupIn * attributes.kernelSize }
  private var panelsPerGroup: Int { (groupOut + mr - 1) / mr }

  /// The one place conv kernels are built (by the planner, and by `OutputPairs` for its products): picks
  /// the method for the conv and the tile of `kernels`, and packs the weights for it.
  ///
  /// - Parameter weightScale: per output channel, a factor for its weights (a folded batch norm's): applied
  ///   while packing when the GEMM panels are all the kernel keeps, else to the weights first.
  static func make(
    attributes: Conv1dAttributes, weight: [Float], weightScale: [Float]? = nil, bias: [Float], padLeft: Int,
    epilogue: [Epilogue], gate: Gate? = nil, kernels: KernelConfig = .current
  ) -> Conv1dKernel {
    make(
      attributes: attributes, loadingWeight: { weight }, weightScale: weightScale, bias: bias, padLeft: padLeft,
      epilogue: epilogue, gate: gate, kernels: kernels)
  }

  /// `make`, calling `loadingWeight` (a loaded tensor's decoding) only once the panels the weights go into
  /// are allocated: the decoded copy is then freed at the top of the heap, where whatever comes next (the
  /// next conv's panels, the first run's activations) reuses its pages instead of faulting in fresh ones.
  static func make(
    attributes: Conv1dAttributes, loadingWeight: @escaping () -> [Float], weightScale: [Float]? = nil, bias: [Float],
    padLeft: Int, epilogue: [Epilogue], gate: Gate? = nil, kernels: KernelConfig = .current
  ) -> Conv1dKernel {
    precondition(gate == nil || (attributes.groups == 1 && attributes.outChannels % 2 == 0), "a gated conv has one group")
    let a = attributes
    // One input channel per group and fewer outputs per group than a micro-kernel panel: the GEMM
    // would waste most of each panel, so convolve channel by channel instead.
    let isDepthwise = gate == nil && a.inChannels == a.groups && a.outChannels / a.groups < kernels.mr
    let usesPairs = gate == nil && !isDepthwise && OutputPairs.applies(a, kernels: kernels)
    // Scaled while packed, no scaled copy of the weights is made: the panels are the only copy kept.
    let scaleWhilePacking = !isDepthwise && !usesPairs
    let prepared = { scaleWhilePacking ? loadingWeight() : Self.scaled(loadingWeight(), by: weightScale) }
    // Pairs fill the micro-kernel's columns only from `OutputPairs.minimumPairs` on: small convs also keep
    // the direct packing for short outputs (the seed's example: 12 pairs); large ones keep one packing only.
    let direct = !isDepthwise && (!usesPairs || a.outChannels * a.inChannels / a.groups * a.kernelSize <= 1 << 16)
    // Read more than once (kept, or packed twice): decoded once, now.
    let once = isDepthwise || (usesPairs && direct) ? prepared() : nil
    let weight = once.map { once in { once } } ?? prepared
    let pairs = usesPairs ? OutputPairs(a, loadingWeight: weight, bias: bias, kernels: kernels) : nil
    let method: Method = isDepthwise ? .depthwise : pairs.map { .pairs($0) } ?? .gemm
    let packed = direct ? pack(loading: weight, a, scale: scaleWhilePacking ? weightScale : nil, kernels: kernels) : []
    return Conv1dKernel(
      attributes: a, method: method, weight: once.flatMap { isDepthwise ? $0 : nil } ?? [], packed: packed, bias: bias,
      padLeft: padLeft, epilogue: epilogue, gate: gate, mr: kernels.mr, taps: direct ? Tap.table(a, padLeft: padLeft) : [])
  }

  private static func scaled(_ weight: [Float], by scale: [Float]?) -> [Float] {
    scale.map { Fusion.ConvChain.weights(weight, [], scaledBy: [$0]) } ?? weight
  }

  /// A 1×1 GEMM over weights already in panels (`OutputPairs`' passes, packed by their transform): what
  /// `make` gives for such a conv, without packing again.
  static func pointwise(inChannels: Int, outChannels: Int, packed: [Float], bias: [Float], kernels: KernelConfig) -> Conv1dKernel {
    let a = Conv1dAttributes(inChannels: inChannels, outChannels: outChannels, kernelSize: 1)
    precondition(packed.count == (outChannels + kernels.mr - 1) / kernels.mr * kernels.mr * inChannels, "packed for \(a)")
    return Conv1dKernel(
      attributes: a, method: .gemm, weight: [], packed: packed, bias: bias, padLeft: 0, epilogue: [], gate: nil,
      mr: kernels.mr, taps: Tap.table(a, padLeft: 0))
  }

  private init(
    attributes: Conv1dAttributes, method: Method, weight: [Float], packed: [Float], bias: [Float], padLeft: Int,
    epilogue: [Epilogue], gate: Gate?, mr: Int, taps: [Tap]
  ) {
    self.attributes = attributes
    self.method = method
    self.weight = weight
    self.packed = packed
    self.bias = bias
    self.padLeft = padLeft
    self.epilogue = epilogue
    self.gate = gate
    self.mr = mr
    self.taps = taps
    tapStarts = (taps.map(\.start).min() ?? 0)...(taps.map(\.start).max() ?? 0)
  }

  /// Panels of `mr` output channels: for group g, panel p, depth index q, row r at
  /// `((g · panels + p) · depth + q) · mr + r`; rows past the group's end are zero. Each output channel's
  /// weights times its `scale` when given.
  static func pack(_ w: [Float], _ a: Conv1dAttributes, scale: [Float]? = nil, kernels: KernelConfig) -> [Float] {
    pack(loading: { w }, a, scale: scale, kernels: kernels)
  }

  /// `pack` of the weights `loading` gives, called once the panels are allocated (see `make(loadingWeight:)`).
  static func pack(loading weight: () -> [Float], _ a: Conv1dAttributes, scale: [Float]? = nil, kernels: KernelConfig) -> [Float] {
    let mr = kernels.mr
    let groupOut = a.outChannels / a.groups
    let depth = a.inChannels / a.groups * a.kernelSize
    let count = a.groups * ((groupOut + mr - 1) / mr) * depth * mr
    precondition(scale == nil || scale!.count == a.outChannels, "one scale per output channel")
    // Written once, zero rows included, by C: no zero-filled array first, no bounds check per element.
    return .uninitialized(count: count) { out in
      let w = weight()
      precondition(w.count == a.outChannels * depth, "\(w.count) weights for \(a)")
      w.withUnsafeBufferPointer { w in
        guard let source = w.baseAddress, let destination = out.baseAddress else { return }
        if let scale {
          scale.withUnsafeBufferPointer { kernels.pack_conv_weights(a.groups, groupOut, depth, mr, source, $0.baseAddress, destination) }
        } else {
          kernels.pack_conv_weights(a.groups, groupOut, depth, mr, source, nil, destination)
        }
      }
    }
  }

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    let kernels = context.kernels
    precondition(kernels.mr == mr, "weights packed for \(mr)-row panels, run with \(kernels)")
    // Every path writes every output element (the GEMM's first depth block stores, not accumulates).
    let y = [Float].uninitialized(count: x.batch * output.elementCount) { yb in
      x.data.withUnsafeBufferPointer { xb in
        withOperands((copy inputs).dropFirst()) { operands in
          let input = SharedPointer(base: UnsafeMutablePointer(mutating: xb.baseAddress!))
          let result = SharedPointer(base: yb.baseAddress!)
          let finish = EpilogueRunner(steps: epilogue, operands: operands, kernels: kernels)
          let (length, outLength) = (x.shape.length!, output.length!)
          switch method {
          case .pairs(let pairs) where pairs.pairCount(outLength: outLength) >= OutputPairs.minimumPairs(kernels) || packed.isEmpty:
            runPairs(pairs, input, result, batch: x.batch, length: length, outLength: outLength, finish, context)
          case .depthwise:
            runDepthwise(input, result, batch: x.batch, length: length, outLength: outLength, finish, context)
          case .gemm, .pairs:
            runGEMM(input, result, batch: x.batch, length: length, outLength: outLength, finish, context)
          }
        }
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }

  private func runDepthwise(
    _ x: SharedPointer, _ y: SharedPointer, batch: Int, length: Int, outLength: Int, _ finish: EpilogueRunner,
    _ context: ExecutionContext
  ) {
    let a = attributes
    let left = padLeft
    let border = Border(a.paddingMode)
    let multiplier = a.outChannels / a.inChannels
    let depthwiseRow = context.kernels.depthwise_row
    let threads = Parallel.threads(context.threads, work: Parallel.work(2, batch, a.outChannels, a.kernelSize, outLength), perThread: 1 << 18)
    // Few channels with a large multiplier (1 → 512): split the multiplier too.
    let chunks = batch * a.inChannels >= 4 * threads ? 1 : min(multiplier, 4 * threads)
    let units = batch * a.inChannels * chunks
    weight.withUnsafeBufferPointer { wb in
      bias.withUnsafeBufferPointer { bb in
        let w = SharedPointer(base: UnsafeMutablePointer(mutating: wb.baseAddress!))
        let b = SharedPointer(base: UnsafeMutablePointer(mutating: bb.baseAddress!))
        Parallel.forEach(units, threads: threads) { unit in
          let (channel, chunk) = unit.quotientAndRemainder(dividingBy: chunks)
          let (n, c) = channel.quotientAndRemainder(dividingBy: a.inChannels)
          let row = x.base + channel * length
          let outputs = chunk * multiplier / chunks..<(chunk + 1) * multiplier / chunks
          let firstOutput = (n * a.outChannels + c * multiplier + outputs.lowerBound) * outLength
          defer {
            finish.apply(
              y.base, from: firstOutput, rows: outputs.count, stride: outLength, columns: outLength,
              firstChannel: c * multiplier + outputs.lowerBound)
          }
          // Reads the input row in place; only taps that fall in the padding are special.
          for m in outputs {
            let o = c * multiplier + m
            depthwiseRow(
              row, length, left, border.code, border.constant, w.base + o * a.kernelSize, a.kernelSize,
              a.dilation, a.stride, b.base[o], y.base + (n * a.outChannels + o) * outLength, outLength)
          }
        }
      }
    }
  }

  private func runGEMM(
    _ x: SharedPointer, _ y: SharedPointer, batch: Int, length: Int, outLength: Int, _ finish: EpilogueRunner,
    _ context: ExecutionContext
  ) {
    let kernels = context.kernels
    let threads = Parallel.threads(context.threads, work: Parallel.work(2, batch, attributes.outChannels, depth, outLength), perThread: 1 << 19)
    let (input, phasedStorage) = splitIntoPhases(x, batch: batch, length: length, threads: threads, kernels)
    defer { phasedStorage?.deallocate() }

    // Short outputs on several threads: narrower tiles first (every unit still sweeps all of A over each
    // column panel, so only the per-tile set-up repeats), then output channels too (each row block packs
    // the same B again), until samples × groups × tiles × row blocks keep every thread busy.
    let width = Self.tileWidth(outLength: outLength, independent: batch * attributes.groups, threads: threads, nr: kernels.nr)
    let tiles = (outLength + width - 1) / width
    let coarse = batch * attributes.groups * tiles
    // A gated conv needs both halves of a tile in one unit.
    let rowBlocks =
      gate != nil
      ? 1
      : max(
        Self.rowBlocks(coarse: coarse, panels: panelsPerGroup, threads: threads),
        Self.cacheRowBlocks(panels: panelsPerGroup, mr: mr, depth: depth, threads: threads))
    packed.withUnsafeBufferPointer { pb in
      bias.withUnsafeBufferPointer { bb in
        let a = SharedPointer(base: UnsafeMutablePointer(mutating: pb.baseAddress!))
        let b = SharedPointer(base: UnsafeMutablePointer(mutating: bb.baseAddress!))
        Parallel.forEach(coarse * rowBlocks, threads: threads) { unit in
          let (rest, rowBlock) = unit.quotientAndRemainder(dividingBy: rowBlocks)
          let (sampleGroup, tile) = rest.quotientAndRemainder(dividingBy: tiles)
          let (n, g) = sampleGroup.quotientAndRemainder(dividingBy: attributes.groups)
          let panels = rowBlock * panelsPerGroup / rowBlocks..<(rowBlock + 1) * panelsPerGroup / rowBlocks
          let firstColumn = tile * width
          let columns = min(width, outLength - firstColumn)
          if let gate {
            gatedTile(
              gate, input, sample: n, firstColumn: firstColumn, columns: columns, width: width, outLength: outLength,
              y, packed: a.base, bias: b.base, finish, kernels)
            return
          }
          indirectGEMMTile(
            input, firstChannel: n * attributes.inChannels + g * groupIn,
            tile: y.base + (n * attributes.outChannels + g * groupOut) * outLength + firstColumn, ldc: outLength,
            outLength: outLength, group: g, firstColumn: firstColumn, columns: columns, panels: panels, packed: a.base,
            bias: b.base, kernels: kernels)
          let firstRow = panels.lowerBound * mr
          let rows = min(groupOut, panels.upperBound * mr) - firstRow
          finish.apply(
            y.base, from: (n * attributes.outChannels + g * groupOut + firstRow) * outLength + firstColumn, rows: rows,
            stride: outLength, columns: columns, firstChannel: g * groupOut + firstRow)
        }
      }
    }
  }

  /// Stride s: every input row split into its s phases once, so that each im2col row is a contiguous run of
  /// one phase and the copy-free indirect GEMM serves every stride. Returns the storage to free, if any.
  private func splitIntoPhases(
    _ x: SharedPointer, batch: Int, length: Int, threads: Int, _ kernels: KernelConfig
  ) -> (PhasedInput, UnsafeMutablePointer<Float>?) {
    let stride = attributes.stride
    let phaseLength = (length + stride - 1) / stride
    // Only the first min(stride, L) phases hold data: the buffer stays within 2 × the input.
    let phases = min(stride, length)
    guard stride > 1 else {
      return (PhasedInput(original: x, phased: x, length: length, stride: 1, phases: phases, phaseLength: phaseLength), nil)
    }
    let storage = UnsafeMutablePointer<Float>.allocate(capacity: batch * attributes.inChannels * phases * phaseLength)
    let phased = SharedPointer(base: storage)
    let splitPhases = kernels.split_phases
    Parallel.forEach(batch * attributes.inChannels, threads: threads) { row in
      splitPhases(x.base + row * length, length, stride, phaseLength, phased.base + row * phases * phaseLength)
    }
    let input = PhasedInput(
      original: x, phased: phased, length: length, stride: stride, phases: phases, phaseLength: phaseLength)
    return (input, storage)
  }

  /// A gated conv's tile: both halves computed into scratch, then one gated half written.
  private func gatedTile(
    _ gate: Gate, _ input: PhasedInput, sample n: Int, firstColumn: Int, columns: Int, width: Int, outLength: Int,
    _ y: SharedPointer, packed: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>,
    _ finish: EpilogueRunner, _ kernels: KernelConfig
  ) {
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: attributes.outChannels * width)
    defer { scratch.deallocate() }
    indirectGEMMTile(
      input, firstChannel: n * attributes.inChannels, tile: scratch, ldc: width, outLength: outLength, group: 0,
      firstColumn: firstColumn, columns: columns, panels: 0..<panelsPerGroup, packed: packed, bias: bias,
      kernels: kernels)
    let half = attributes.outChannels / 2
    for row in 0..<half {
      kernels.gate(
        gate.value.kind, gate.value.parameter, scratch + row * width, gate.gate.kind, gate.gate.parameter,
        scratch + (half + row) * width, y.base + (n * half + row) * outLength + firstColumn, columns)
    }
    finish.apply(
      y.base, from: n * half * outLength + firstColumn, rows: half, stride: outLength, columns: columns, firstChannel: 0)
  }

  /// Output columns per tile: `tileColumns`, halved down to `nr` while `independent` (samples × groups)
  /// times the tiles would leave a thread fewer than three units.
  static func tileWidth(outLength: Int, independent: Int, threads: Int, nr: Int) -> Int {
    var width = tileColumns
    while threads > 1, width > nr, independent * ((outLength + width - 1) / width) < 3 * threads { width /= 2 }
    return width
  }

  /// Blocks of output panels to split each of `coarse` units into: none while they give every thread three
  /// units, else enough to, at most one per panel.
  static func rowBlocks(coarse: Int, panels: Int, threads: Int) -> Int {
    coarse >= 3 * threads ? 1 : min(panels, (3 * threads + coarse - 1) / coarse)
  }

  /// A group's packed weights (A) per thread that stay in a core's L2 while each column panel sweeps them.
  static let weightsPerThreadInCache = 512 << 10

  /// Blocks of output panels that keep each unit's share of A within `weightsPerThreadInCache`, on several
  /// threads: every unit sweeps its rows of A once per column panel, and threads sweeping all of a larger A
  /// each stream it from L3 together. (512 → 256 channels, k2, 8 × 256 frames, 1 MiB of A: 12.2 ms at one
  /// thread and 12.2 at two; by halves of A, 6.4 ms at two. HiFi-GAN's first upsampler, whose 8 phases are
  /// such convs: 98 → 59 ms at two threads. Neutral on every architecture of the benchmark.) One thread
  /// keeps whole units: splitting repeats the packing of B.
  static func cacheRowBlocks(panels: Int, mr: Int, depth: Int, threads: Int) -> Int {
    let bytes = panels * mr * depth * MemoryLayout<Float>.size
    guard threads > 1, bytes > weightsPerThreadInCache else { return 1 }
    return min(panels, max(threads, (bytes + weightsPerThreadInCache - 1) / weightsPerThreadInCache))
  }

  /// Whether B is read through its row table even where several A panels share a column panel: a long,
  /// undilated kernel (`in_place_min_taps`), or few panels over input rows `rowBytes` apart, whose taps
  /// lie `dilation` elements apart, that do not compete for the same L1 sets (`in_place_max_panels`).
  static func readsInPlace(_ a: Conv1dAttributes, panels: Int, rowBytes: Int, _ kernels: KernelConfig) -> Bool {
    if a.dilation == 1 && a.kernelSize >= kernels.in_place_min_taps { return true }
    func clearOfAliasing(_ bytes: Int) -> Bool { (256...(4096 - 256)).contains(bytes % 4096) }
    // Taps closer than 256 bytes share their lines instead of competing for sets.
    let tapBytes = a.dilation * MemoryLayout<Float>.size
    let tapsClear = a.kernelSize == 1 || tapBytes < 256 || clearOfAliasing(tapBytes)
    return panels <= kernels.in_place_max_panels && clearOfAliasing(rowBytes) && tapsClear
  }

  /// One tile of output columns of one group, for a range of its output panels. Row q = (c, k) of the im2col
  /// matrix at columns t0 ..< t0 + nr reads input positions (t0 + j)·s + k·d − left: a contiguous run of one
  /// phase of the input row (all of it for s = 1), so B is read in place through a table of row pointers
  /// (`IndirectTile`). Only runs that reach into the padding are materialised, into a small scratch panel.
  func indirectGEMMTile(
    _ input: PhasedInput, firstChannel: Int, tile: UnsafeMutablePointer<Float>, ldc: Int, outLength: Int, group: Int,
    firstColumn: Int, columns: Int, panels: Range<Int>, packed: UnsafeMutablePointer<Float>,
    bias: UnsafeMutablePointer<Float>, kernels: KernelConfig
  ) {
    let nr = kernels.nr
    let (gemm, gemmIndirect, packRows) = (kernels.gemm, kernels.gemm_indirect, kernels.pack_rows)
    withUnsafeTemporaryAllocation(of: Int.self, capacity: input.stride) { stripOfPhase in
      taps.withUnsafeBufferPointer { taps in
        let b = IndirectTile(
          self, input, taps: taps, firstChannel: firstChannel, firstColumn: firstColumn, columns: columns,
          outLength: outLength, kernels: kernels, stripOfPhase: stripOfPhase.baseAddress!)
        defer { b.deallocate() }
        // B reused by several A panels: each column panel made contiguous once (it then stays in L1; in
        // place, rows a multiple of 4 KiB apart compete for the same L1 sets), then A swept over it; long
        // kernels excepted (`readsInPlace`).
        let rowBytes = input.phases * input.phaseLength * MemoryLayout<Float>.size
        let packs =
          panels.count >= 2 && !Self.readsInPlace(attributes, panels: panelsPerGroup, rowBytes: rowBytes, kernels)
        let packedB = packs ? UnsafeMutablePointer<Float>.allocate(capacity: b.kc * nr) : nil
        defer { packedB?.deallocate() }
        var q0 = 0
        while q0 < depth {
          let block = min(Self.depthBlock, depth - q0)
          b.setTables(depthFrom: q0, count: block)
          // One micro-tile: B from `packedPanel` when given, else through the column panel's table.
          func multiply(panel: Int, columnPanel: Int, packedPanel: UnsafePointer<Float>? = nil) {
            let t = microTile(
              panel: panel, group: group, depthFrom: q0, columnPanel: columnPanel, columns: columns, tile: tile,
              ldc: ldc, nr: nr, packed: packed, bias: bias)
            if let packedPanel {
              gemm(block, t.a, packedPanel, t.c, ldc, t.rows, t.count, t.accumulate, t.bias)
            } else {
              let (table, offset) = b.column(columnPanel)
              gemmIndirect(block, t.a, table, offset, t.c, ldc, t.rows, t.count, t.accumulate, t.bias)
            }
          }
          if let packedB {
            for columnPanel in 0..<b.columnPanels {
              let (table, offset) = b.column(columnPanel)
              packRows(block, table, offset, min(nr, columns - columnPanel * nr), packedB)
              for panel in panels { multiply(panel: panel, columnPanel: columnPanel, packedPanel: packedB) }
            }
          } else {
            for panel in panels {
              for columnPanel in 0..<b.columnPanels { multiply(panel: panel, columnPanel: columnPanel) }
            }
          }
          q0 += block
        }
      }
    }
  }
}

/// Where one micro-tile of a GEMM tile reads A and the bias and writes C.
struct MicroTile {
  let a: UnsafePointer<Float>
  let c: UnsafeMutablePointer<Float>
  let rows: Int
  let count: Int
  /// 0 for the first depth block (C starts from the bias), else 1.
  let accumulate: Int32
  let bias: UnsafePointer<Float>?
}

extension Conv1dKernel {
  /// Output panel `panel` of `group`, depth rows from `q0` on, column panel `columnPanel` of a tile of
  /// `columns` columns.
  @inline(__always)
  func microTile(
    panel: Int, group: Int, depthFrom q0: Int, columnPanel: Int, columns: Int, tile: UnsafeMutablePointer<Float>,
    ldc: Int, nr: Int, packed: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>
  ) -> MicroTile {
    let first = q0 == 0
    let biasRows: UnsafePointer<Float>? = first ? UnsafePointer(bias + group * groupOut + panel * mr) : nil
    return MicroTile(
      a: packed + ((group * panelsPerGroup + panel) * depth + q0) * mr, c: tile + panel * mr * ldc + columnPanel * nr,
      rows: min(mr, groupOut - panel * mr), count: min(nr, columns - columnPanel * nr), accumulate: first ? 0 : 1,
      bias: biasRows)
  }
}

/// The activations of a gated conv's two halves, each a `C1D_ACT_*` kernel (`C1D_ACT_IDENTITY` for none).
struct Gate: Sendable, Hashable {
  struct Function: Sendable, Hashable {
    let kind: Int32
    let parameter: Float
  }
  let value: Function
  let gate: Function
}

/// Where row q = (c, k) of a convolution's im2col matrix reads: input channel `channel` (within the
/// group), phase `phase` of it, starting `start` elements into that phase for output column 0.
struct Tap: Sendable, Hashable {
  let channel: Int
  let phase: Int
  let start: Int

  static func table(_ a: Conv1dAttributes, padLeft: Int) -> [Tap] {
    // A kernel tap's phase and start are the same in every channel: worked out once, not per row.
    let perTap = (0..<a.kernelSize).map { k in
      let shift = k * a.dilation - padLeft
      let start = floorDivide(shift, a.stride)
      return (phase: shift - start * a.stride, start: start)
    }
    var taps = [Tap]()
    taps.reserveCapacity(a.inChannels / a.groups * a.kernelSize)
    for c in 0..<a.inChannels / a.groups {
      for tap in perTap { taps.append(Tap(channel: c, phase: tap.phase, start: tap.start)) }
    }
    return taps
  }
}

/// The input of a strided convolution with each row split into its phases: phase p of a row holds
/// x[p], x[p + s], x[p + 2s], … (for s = 1, the input itself).
struct PhasedInput: Sendable {
  let original: SharedPointer
  let phased: SharedPointer
  let length: Int
  let stride: Int
  /// Phases stored per row: min(stride, length); the others are empty.
  let phases: Int
  let phaseLength: Int

  func phaseRow(_ row: Int, _ phase: Int) -> UnsafeMutablePointer<Float> {
    phased.base + (row * phases + phase) * phaseLength
  }

  /// How many elements phase `phase` holds.
  func phaseCount(_ phase: Int) -> Int { phase < phases ? (length - phase + stride - 1) / stride : 0 }
}

/// Applies a convolution's epilogue to a block of its output, reading operands at the same offsets.
struct EpilogueRunner: @unchecked Sendable {
  let steps: [Epilogue]
  let operands: [UnsafePointer<Float>]
  let kernels: KernelConfig

  /// - Parameters:
  ///   - firstChannel: the output channel of the first row; the rows are consecutive channels.
  func apply(_ y: UnsafeMutablePointer<Float>, from offset: Int, rows: Int, stride: Int, columns: Int, firstChannel: Int) {
    guard !steps.isEmpty else { return }
    for row in 0..<rows {
      let start = offset + row * stride
      let out = y + start
      for step in steps {
        switch step {
        case .activation(let kind, let parameter):
          kernels.activation(kind, out, columns, parameter)
        case .add(let operand):
          kernels.binary(0, out, operands[operand - 1] + start, columns)
        case .mul(let operand):
          kernels.binary(1, out, operands[operand - 1] + start, columns)
        case .prelu(let slopes):
          let slope = slopes.count == 1 ? slopes[0] : slopes[firstChannel + row]
          kernels.activation(Int32(C1D_ACT_LEAKY_RELU), out, columns, slope)
        }
      }
    }
  }
}

/// Pins every operand's storage for the duration of `body`.
private func withOperands<R>(_ inputs: ArraySlice<Activation>, _ body: ([UnsafePointer<Float>]) -> R) -> R {
  guard let first = inputs.first else { return body([]) }
  return first.data.withUnsafeBufferPointer { buffer in
    withOperands(inputs.dropFirst()) { rest in body([buffer.baseAddress!] + rest) }
  }
}
