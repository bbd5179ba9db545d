import CC1DKernels

/// `conv1d` planned at load: weights packed once into the GEMM micro-kernel's panel layout, or kept
/// per channel for the direct depthwise kernel.
///
/// The GEMM view per sample and group: `Y[Og × Lout] = W[Og × (Cg·K)] · X[(Cg·K) × Lout] + bias`. X, the
/// im2col matrix, is never materialised: each of its rows at a tile of output positions is a contiguous
/// run of the input (of one phase of it, for a strided conv), handed to the micro-kernel through a table
/// of pointers. Only runs that reach into the padding are copied, with the padding mode applied.
struct Conv1dKernel: OpKernel {
  let attributes: Conv1dAttributes
  /// `(out, in/groups, k)` weights for the depthwise path; empty on the GEMM path, which reads `packed`.
  let weight: [Float]
  let packed: [Float]
  let bias: [Float]
  let isDepthwise: Bool
  /// Left padding as applied, which fusion may have changed from the attributes'. (The right padding
  /// only sets the output length, which shape inference has already fixed.)
  let padLeft: Int
  let epilogue: [Epilogue]
  /// A gated conv (WaveNet's `tanh(filter(x)) · sigmoid(gate(x))`): `attributes` and the weights hold both
  /// convs, filter rows first; the output is `value(first half) · gate(second half)`, half the channels.
  let gate: Gate?
  /// Kernel 3, stride 1 or 2: computed by output pairs instead (see `OutputPairs`).
  let outputPairs: OutputPairs?
  /// Per im2col row, where it reads (GEMM path only).
  let taps: [Tap]
  /// The least and greatest `start` of `taps`.
  let tapStarts: ClosedRange<Int>

  static let mr = Int(C1D_GEMM_MR)
  static let nr = Int(C1D_GEMM_NR)
  static let tileColumns = 256
  /// `nr` zeros, read by every im2col run that lies wholly in zero padding. Never written.
  static let zeroRun: SharedPointer = {
    let run = UnsafeMutablePointer<Float>.allocate(capacity: nr)
    run.initialize(repeating: 0, count: nr)
    return SharedPointer(base: run)
  }()
  static let depthBlock = 512

  private var groupIn: Int { attributes.inChannels / attributes.groups }
  private var groupOut: Int { attributes.outChannels / attributes.groups }
  private var depth: Int { groupIn * attributes.kernelSize }
  private var panelsPerGroup: Int { (groupOut + Self.mr - 1) / Self.mr }

  init(
    attributes: Conv1dAttributes, weight: [Float], bias: [Float], padLeft: Int, epilogue: [Epilogue], gate: Gate? = nil
  ) {
    precondition(gate == nil || (attributes.groups == 1 && attributes.outChannels % 2 == 0), "a gated conv has one group")
    self.attributes = attributes
    self.bias = bias
    self.padLeft = padLeft
    self.epilogue = epilogue
    self.gate = gate
    // One input channel per group and fewer outputs per group than a micro-kernel panel: the GEMM
    // would waste most of each panel, so convolve channel by channel instead.
    isDepthwise =
      gate == nil && attributes.inChannels == attributes.groups && attributes.outChannels / attributes.groups < Self.mr
    outputPairs = gate == nil && !isDepthwise ? OutputPairs(attributes, weight: weight, bias: bias) : nil
    // Pairs fill the micro-kernel's columns only from `OutputPairs.minimumPairs` on: small convs also keep
    // the direct packing for short outputs (the seed's example: 12 pairs); large ones keep one packing only.
    let direct = !isDepthwise && (outputPairs == nil || weight.count <= 1 << 16)
    self.weight = isDepthwise ? weight : []
    packed = direct ? Self.pack(weight, attributes) : []
    taps = direct ? Tap.table(attributes, padLeft: padLeft) : []
    tapStarts = (taps.map(\.start).min() ?? 0)...(taps.map(\.start).max() ?? 0)
  }

  /// Panels of `mr` output channels: for group g, panel p, depth index q, row r at
  /// `((g · panels + p) · depth + q) · mr + r`; rows past the group's end are zero.
  private static func pack(_ w: [Float], _ a: Conv1dAttributes) -> [Float] {
    let groupOut = a.outChannels / a.groups
    let depth = a.inChannels / a.groups * a.kernelSize
    let panels = (groupOut + mr - 1) / mr
    var out = [Float](repeating: 0, count: a.groups * panels * depth * mr)
    for g in 0..<a.groups {
      for o in 0..<groupOut {
        let (p, r) = o.quotientAndRemainder(dividingBy: mr)
        let source = (g * groupOut + o) * depth
        let base = (g * panels + p) * depth * mr + r
        for q in 0..<depth { out[base + q * mr] = w[source + q] }
      }
    }
    return out
  }

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    // Both paths write every output element (the GEMM's first depth block stores, not accumulates).
    let y = [Float].uninitialized(count: x.batch * output.elementCount) { yb in
      x.data.withUnsafeBufferPointer { xb in
        withOperands((copy inputs).dropFirst()) { operands in
          let input = SharedPointer(base: UnsafeMutablePointer(mutating: xb.baseAddress!))
          let result = SharedPointer(base: yb.baseAddress!)
          let finish = EpilogueRunner(steps: epilogue, operands: operands, isa: context.isa)
          if let outputPairs, (output.length! + 1) / 2 >= OutputPairs.minimumPairs || packed.isEmpty {
            runPairs(
              outputPairs, input, result, batch: x.batch, length: x.shape.length!, outLength: output.length!, finish, context)
          } else if isDepthwise {
            runDepthwise(input, result, batch: x.batch, length: x.shape.length!, outLength: output.length!, finish, context)
          } else {
            runGEMM(input, result, batch: x.batch, length: x.shape.length!, outLength: output.length!, finish, context)
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
            c1d_depthwise_row_bordered(
              context.isa, row, length, left, border.code, border.constant, w.base + o * a.kernelSize, a.kernelSize,
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
    let threads = Parallel.threads(context.threads, work: Parallel.work(2, batch, attributes.outChannels, depth, outLength), perThread: 1 << 19)
    let stride = attributes.stride
    let phaseLength = (length + stride - 1) / stride
    // Only the first min(stride, L) phases hold data: the buffer stays within 2 × the input.
    let phases = min(stride, length)
    // Stride s: split every input row into its s phases once, so that each im2col row is a contiguous
    // run of one phase and the copy-free indirect GEMM serves every stride.
    let phased: SharedPointer
    let phasedStorage: UnsafeMutablePointer<Float>?
    if stride > 1 {
      let storage = UnsafeMutablePointer<Float>.allocate(capacity: batch * attributes.inChannels * phases * phaseLength)
      phasedStorage = storage
      phased = SharedPointer(base: storage)
      let rows = batch * attributes.inChannels
      Parallel.forEach(rows, threads: threads) { row in
        c1d_split_phases(context.isa, x.base + row * length, length, stride, phaseLength, phased.base + row * phases * phaseLength)
      }
    } else {
      phasedStorage = nil
      phased = x
    }
    defer { phasedStorage?.deallocate() }
    let input = PhasedInput(
      original: x, phased: phased, length: length, stride: stride, phases: phases, phaseLength: phaseLength)

    // Short outputs on several threads: narrower tiles first (every unit still sweeps all of A over each
    // column panel, so only the per-tile set-up repeats), then output channels too (each row block packs
    // the same B again), until samples × groups × tiles × row blocks keep every thread busy.
    let width = Self.tileWidth(outLength: outLength, independent: batch * attributes.groups, threads: threads)
    let tiles = (outLength + width - 1) / width
    let coarse = batch * attributes.groups * tiles
    // A gated conv needs both halves of a tile in one unit.
    let rowBlocks = gate != nil ? 1 : Self.rowBlocks(coarse: coarse, panels: panelsPerGroup, threads: threads)
    let units = coarse * rowBlocks
    packed.withUnsafeBufferPointer { pb in
      bias.withUnsafeBufferPointer { bb in
        let a = SharedPointer(base: UnsafeMutablePointer(mutating: pb.baseAddress!))
        let b = SharedPointer(base: UnsafeMutablePointer(mutating: bb.baseAddress!))
        Parallel.forEach(units, threads: threads) { unit in
          let (rest, rowBlock) = unit.quotientAndRemainder(dividingBy: rowBlocks)
          let (sampleGroup, tile) = rest.quotientAndRemainder(dividingBy: tiles)
          let (n, g) = sampleGroup.quotientAndRemainder(dividingBy: attributes.groups)
          let panels = rowBlock * panelsPerGroup / rowBlocks..<(rowBlock + 1) * panelsPerGroup / rowBlocks
          let firstColumn = tile * width
          let columns = min(width, outLength - firstColumn)
          // A gated conv computes both halves of the tile into scratch, then writes one gated half.
          let scratch = gate.map { _ in UnsafeMutablePointer<Float>.allocate(capacity: attributes.outChannels * width) }
          defer { scratch?.deallocate() }
          indirectGEMMTile(
            input, firstChannel: n * attributes.inChannels + g * groupIn,
            tile: scratch ?? y.base + (n * attributes.outChannels + g * groupOut) * outLength + firstColumn,
            ldc: scratch == nil ? outLength : width, outLength: outLength, group: g, firstColumn: firstColumn,
            columns: columns, panels: panels, packed: a.base, bias: b.base, isa: context.isa)
          if let gate, let scratch {
            let half = attributes.outChannels / 2
            for row in 0..<half {
              c1d_gate(
                context.isa, gate.value.kind, gate.value.parameter, scratch + row * width,
                gate.gate.kind, gate.gate.parameter, scratch + (half + row) * width,
                y.base + (n * half + row) * outLength + firstColumn, columns)
            }
            finish.apply(
              y.base, from: n * half * outLength + firstColumn, rows: half, stride: outLength, columns: columns,
              firstChannel: 0)
            return
          }
          let firstRow = panels.lowerBound * Self.mr
          let rows = min(groupOut, panels.upperBound * Self.mr) - firstRow
          finish.apply(
            y.base, from: (n * attributes.outChannels + g * groupOut + firstRow) * outLength + firstColumn, rows: rows,
            stride: outLength, columns: columns, firstChannel: g * groupOut + firstRow)
        }
      }
    }
  }

  /// Output columns per tile: `tileColumns`, halved down to `nr` while `independent` (samples × groups)
  /// times the tiles would leave a thread fewer than three units.
  static func tileWidth(outLength: Int, independent: Int, threads: Int) -> Int {
    var width = tileColumns
    while threads > 1, width > nr, independent * ((outLength + width - 1) / width) < 3 * threads { width /= 2 }
    return width
  }

  /// Blocks of output panels to split each of `coarse` units into: none while they give every thread three
  /// units, else enough to, at most one per panel.
  static func rowBlocks(coarse: Int, panels: Int, threads: Int) -> Int {
    coarse >= 3 * threads ? 1 : min(panels, (3 * threads + coarse - 1) / coarse)
  }

  /// Row q = (c, k) of the im2col matrix at columns t0 ..< t0 + nr reads input positions
  /// (t0 + j)·s + k·d − left: a contiguous run of one phase of the input row (all of it for s = 1), so B
  /// is read in place through a table of row pointers. Only runs that reach into the padding are
  /// materialised, into a small scratch panel.
  func indirectGEMMTile(
    _ input: PhasedInput, firstChannel: Int, tile: UnsafeMutablePointer<Float>, ldc: Int, outLength: Int, group: Int,
    firstColumn: Int, columns: Int, panels: Range<Int>, packed: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>,
    isa: c1d_isa
  ) {
    let length = input.length
    let s = input.stride
    let (mr, nr) = (Self.mr, Self.nr)
    let a = attributes
    let left = padLeft
    let border = Border(a.paddingMode)
    let kc = min(Self.depthBlock, depth)
    let columnPanels = (columns + nr - 1) / nr
    // Column panels clear of the padding share one table (each reads at an offset from it); a panel
    // that reaches into the padding gets its own, and scratch for its runs that straddle an edge. With
    // zero padding a run wholly in the padding reads the shared zero run, and a row straddles an edge in
    // at most two panels of a tile.
    let span = (a.kernelSize - 1) * a.dilation
    func reachesPadding(_ t0: Int, _ count: Int) -> Bool { t0 * s - left < 0 || (t0 + count - 1) * s + span - left >= length }
    let tileReachesPadding = reachesPadding(firstColumn, columns)
    let zeroPadding = border == .constant(0)
    // Runs that straddle an edge are read from "strips": per input channel and phase, the padded values
    // every tap of that channel reads in the panel, filled once (k16 'same': one 47-element strip per
    // channel instead of seven 32-element runs). With a wide spread of taps (large dilation: few taps of a
    // channel straddle in one panel) or many phases, each straddling run gets its own copy instead.
    let spread = tapStarts.upperBound - tapStarts.lowerBound
    // Taps read phases below the stride, even those an input shorter than the stride leaves empty.
    let phases = s
    let useStrips = spread <= nr && phases <= 8
    let runLength = useStrips ? nr + spread : nr
    let runsPerPanel = useStrips ? min(kc, (kc / a.kernelSize + 2) * phases) : kc
    // Panels that need scratch: with zero padding a tap straddles an edge in one panel per edge, and the
    // taps' starts lie within `spread` of each other.
    let edgePanels =
      !tileReachesPadding ? 0 : !zeroPadding ? columnPanels
      : useStrips ? min(columnPanels, 2 * (spread / nr + 2)) : min(columnPanels, 2)
    let tables = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: (tileReachesPadding ? 1 + columnPanels : 1) * kc)
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: edgePanels * runsPerPanel * runLength)
    let packedB = panels.count >= 2 ? UnsafeMutablePointer<Float>.allocate(capacity: kc * nr) : nil
    defer {
      tables.deallocate()
      scratch.deallocate()
      packedB?.deallocate()
    }
    // Input positions any output of this conv reads; a strip's other lanes are never read and get 0.
    let reachable = -left...((outLength - 1) * s + span - left)
    /// Writes phase `phase` of input row `channel` at phase positions `from ..< from + count`, padded.
    func fill(_ run: UnsafeMutablePointer<Float>, channel: Int, phase: Int, from: Int, count: Int) {
      let available = input.phaseCount(phase)
      let low = min(max(from, 0), from + count)
      let inside = low..<max(min(from + count, available), low)
      if !inside.isEmpty {
        (run + (inside.lowerBound - from)).update(
          from: input.phaseRow(firstChannel + channel, phase) + inside.lowerBound, count: inside.count)
      }
      let row = UnsafePointer(input.original.base + (firstChannel + channel) * length)
      func pad(_ positions: Range<Int>) {
        for i in positions {
          let position = i * s + phase
          run[i - from] = reachable.contains(position) ? border.value(row, length, position) : 0
        }
      }
      pad(from..<inside.lowerBound)
      pad(inside.upperBound..<from + count)
    }
    withUnsafeTemporaryAllocation(of: Int.self, capacity: useStrips ? phases : 1) { stripOfPhase in
      taps.withUnsafeBufferPointer { taps in
        var q0 = 0
        while q0 < depth {
          let block = min(Self.depthBlock, depth - q0)
          // The shared table may point outside the rows for an edge tile's offset 0; only the offsets of
          // panels clear of the padding are ever added to it and read.
          for q in q0..<q0 + block {
            let tap = taps[q]
            tables[q - q0] = UnsafePointer(input.phaseRow(firstChannel + tap.channel, tap.phase) + tap.start + firstColumn)
          }
          var runs = 0
          for columnPanel in 0..<columnPanels where tileReachesPadding {
            let t0 = firstColumn + columnPanel * nr
            let count = min(nr, columns - columnPanel * nr)
            guard reachesPadding(t0, count) else { continue }
            let table = tables + (1 + columnPanel) * kc
            var stripChannel = -1
            for q in q0..<q0 + block {
              let tap = taps[q]
              let start = t0 + tap.start
              let available = input.phaseCount(tap.phase)
              if start >= 0, start + count <= available {
                table[q - q0] = UnsafePointer(input.phaseRow(firstChannel + tap.channel, tap.phase) + start)
              } else if zeroPadding, start >= available || start + count <= 0 {
                table[q - q0] = UnsafePointer(Self.zeroRun.base)
              } else {
                if useStrips {
                  if tap.channel != stripChannel {
                    stripChannel = tap.channel
                    stripOfPhase.initialize(repeating: -1)
                  }
                  let stripStart = t0 + tapStarts.lowerBound
                  if stripOfPhase[tap.phase] < 0 {
                    assert(runs < edgePanels * runsPerPanel, "edge scratch sized too small")
                    stripOfPhase[tap.phase] = runs
                    fill(scratch + runs * runLength, channel: tap.channel, phase: tap.phase, from: stripStart, count: count + spread)
                    runs += 1
                  }
                  table[q - q0] = UnsafePointer(scratch + stripOfPhase[tap.phase] * runLength + (start - stripStart))
                } else {
                  assert(runs < edgePanels * runsPerPanel, "edge scratch sized too small")
                  fill(scratch + runs * runLength, channel: tap.channel, phase: tap.phase, from: start, count: count)
                  table[q - q0] = UnsafePointer(scratch + runs * runLength)
                  runs += 1
                }
              }
            }
          }
          // Column panel c of B: the shared table at offset c·nr, or its own table at offset 0.
          func bColumn(_ columnPanel: Int) -> (UnsafePointer<UnsafePointer<Float>?>, Int) {
            let t0 = firstColumn + columnPanel * nr
            return tileReachesPadding && reachesPadding(t0, min(nr, columns - columnPanel * nr))
              ? (UnsafePointer(tables + (1 + columnPanel) * kc), 0) : (UnsafePointer(tables), columnPanel * nr)
          }
          // One micro-tile: B from `packedPanel` when given, else through the column panel's table.
          func multiply(panel: Int, columnPanel: Int, packedPanel: UnsafePointer<Float>? = nil) {
            let aPanel = packed + ((group * panelsPerGroup + panel) * depth + q0) * mr
            let biasRows = q0 == 0 ? UnsafePointer(bias + group * groupOut + panel * mr) : nil
            let c = tile + panel * mr * ldc + columnPanel * nr
            let rows = min(mr, groupOut - panel * mr)
            let count = min(nr, columns - columnPanel * nr)
            let accumulate: Int32 = q0 == 0 ? 0 : 1
            if let packedPanel {
              c1d_gemm_tile(isa, block, aPanel, packedPanel, c, ldc, rows, count, accumulate, biasRows)
            } else {
              let (table, offset) = bColumn(columnPanel)
              c1d_gemm_tile_indirect(isa, block, aPanel, table, offset, c, ldc, rows, count, accumulate, biasRows)
            }
          }
          if let packedB {
            // B reused by several A panels: make each column panel contiguous once (it then stays in L1;
            // in place, rows a multiple of 4 KiB apart compete for the same L1 sets), then sweep A over it.
            for columnPanel in 0..<columnPanels {
              let (table, offset) = bColumn(columnPanel)
              c1d_pack_rows(isa, block, table, offset, min(nr, columns - columnPanel * nr), packedB)
              for panel in panels { multiply(panel: panel, columnPanel: columnPanel, packedPanel: packedB) }
            }
          } else {
            for panel in panels {
              for columnPanel in 0..<columnPanels { multiply(panel: panel, columnPanel: columnPanel) }
            }
          }
          q0 += block
        }
      }
    }
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
    let depth = a.inChannels / a.groups * a.kernelSize
    return (0..<depth).map { q in
      let (c, k) = q.quotientAndRemainder(dividingBy: a.kernelSize)
      let shift = k * a.dilation - padLeft
      let start = floorDivide(shift, a.stride)
      return Tap(channel: c, phase: shift - start * a.stride, start: start)
    }
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
  let isa: c1d_isa

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
          c1d_activation(isa, kind, out, columns, parameter)
        case .add(let operand):
          c1d_binary(isa, 0, out, operands[operand - 1] + start, columns)
        case .mul(let operand):
          c1d_binary(isa, 1, out, operands[operand - 1] + start, columns)
        case .prelu(let slopes):
          let slope = slopes.count == 1 ? slopes[0] : slopes[firstChannel + row]
          c1d_activation(isa, Int32(C1D_ACT_LEAKY_RELU), out, columns, slope)
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
