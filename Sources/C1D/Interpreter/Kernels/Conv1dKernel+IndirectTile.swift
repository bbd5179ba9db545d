/// The B side of one tile of `Conv1dKernel.indirectGEMMTile`: per depth block, tables of pointers to where
/// each im2col row's run of the tile lies in the (phased) input.
///
/// Column panels clear of the padding share one table (each reads at an offset from it); a panel that
/// reaches into the padding gets its own, and scratch for its runs that straddle an edge. With zero
/// padding a run wholly in the padding reads the config's zero run, and a row straddles an edge in at
/// most two panels of a tile.
///
/// Runs that straddle an edge are read from "strips": per input channel and phase, the padded values every
/// tap of that channel reads in the panel, filled once (k16 'same': one 47-element strip per channel instead
/// of seven 32-element runs). With a wide spread of taps (large dilation: few taps of a channel straddle in
/// one panel) or many phases, each straddling run gets its own copy instead.
struct IndirectTile {
  let input: PhasedInput
  let taps: UnsafeBufferPointer<Tap>
  let tapStarts: ClosedRange<Int>
  let firstChannel: Int
  let firstColumn: Int
  let columns: Int
  let nr: Int
  /// Depth rows per block: the length of each table.
  let kc: Int
  let columnPanels: Int
  let padLeft: Int
  /// The reach of a conv's taps past its first: (kernel − 1) · dilation.
  let span: Int
  let border: Border
  let zeroPadding: Bool
  let tileReachesPadding: Bool
  let useStrips: Bool
  let runLength: Int
  let runsPerPanel: Int
  let edgePanels: Int
  /// Input positions any output of this conv reads; a strip's other lanes are never read and get 0.
  let reachable: ClosedRange<Int>
  let zeros: UnsafePointer<Float>
  /// The shared table, then one per column panel when the tile reaches into the padding.
  let tables: UnsafeMutablePointer<UnsafePointer<Float>?>
  let scratch: UnsafeMutablePointer<Float>
  /// Per phase, the scratch run holding the current channel's strip, or −1.
  let stripOfPhase: UnsafeMutablePointer<Int>

  /// - Parameter stripOfPhase: room for `input.stride` entries, owned by the caller.
  init(
    _ conv: Conv1dKernel, _ input: PhasedInput, taps: UnsafeBufferPointer<Tap>, firstChannel: Int, firstColumn: Int,
    columns: Int, outLength: Int, kernels: KernelConfig, stripOfPhase: UnsafeMutablePointer<Int>
  ) {
    let a = conv.attributes
    let (s, left, length, nr) = (input.stride, conv.padLeft, input.length, kernels.nr)
    let span = (a.kernelSize - 1) * a.dilation
    let kc = min(Conv1dKernel.depthBlock, taps.count)
    let columnPanels = (columns + nr - 1) / nr
    let border = Border(a.paddingMode)
    let zeroPadding = border == .constant(0)
    let tileReachesPadding = firstColumn * s - left < 0 || (firstColumn + columns - 1) * s + span - left >= length
    let spread = conv.tapStarts.upperBound - conv.tapStarts.lowerBound
    // Taps read phases below the stride, even those an input shorter than the stride leaves empty.
    let phases = s
    let useStrips = spread <= nr && phases <= 8
    self.input = input
    self.taps = taps
    self.tapStarts = conv.tapStarts
    self.firstChannel = firstChannel
    self.firstColumn = firstColumn
    self.columns = columns
    self.nr = nr
    self.kc = kc
    self.columnPanels = columnPanels
    self.padLeft = left
    self.span = span
    self.border = border
    self.zeroPadding = zeroPadding
    self.tileReachesPadding = tileReachesPadding
    self.useStrips = useStrips
    runLength = useStrips ? nr + spread : nr
    runsPerPanel = useStrips ? min(kc, (kc / a.kernelSize + 2) * phases) : kc
    // Panels that need scratch: with zero padding a tap straddles an edge in one panel per edge, and the
    // taps' starts lie within `spread` of each other.
    edgePanels =
      !tileReachesPadding ? 0 : !zeroPadding ? columnPanels
      : useStrips ? min(columnPanels, 2 * (spread / nr + 2)) : min(columnPanels, 2)
    reachable = -left...((outLength - 1) * s + span - left)
    zeros = kernels.zeros
    tables = .allocate(capacity: (tileReachesPadding ? 1 + columnPanels : 1) * kc)
    scratch = .allocate(capacity: edgePanels * runsPerPanel * runLength)
    self.stripOfPhase = stripOfPhase
  }

  func deallocate() {
    tables.deallocate()
    scratch.deallocate()
  }

  private func reachesPadding(_ t0: Int, _ count: Int) -> Bool {
    t0 * input.stride - padLeft < 0 || (t0 + count - 1) * input.stride + span - padLeft >= input.length
  }

  /// Column panel c of B: the shared table at offset c·nr, or its own table at offset 0.
  func column(_ columnPanel: Int) -> (UnsafePointer<UnsafePointer<Float>?>, Int) {
    let t0 = firstColumn + columnPanel * nr
    return tileReachesPadding && reachesPadding(t0, min(nr, columns - columnPanel * nr))
      ? (UnsafePointer(tables + (1 + columnPanel) * kc), 0) : (UnsafePointer(tables), columnPanel * nr)
  }

  /// Points the tables at depth rows `q0 ..< q0 + count`.
  func setTables(depthFrom q0: Int, count block: Int) {
    // The shared table may point outside the rows for an edge tile's offset 0; only the offsets of
    // panels clear of the padding are ever added to it and read.
    for q in q0..<q0 + block {
      let tap = taps[q]
      tables[q - q0] = UnsafePointer(input.phaseRow(firstChannel + tap.channel, tap.phase) + tap.start + firstColumn)
    }
    guard tileReachesPadding else { return }
    var runs = 0
    for columnPanel in 0..<columnPanels {
      let t0 = firstColumn + columnPanel * nr
      let count = min(nr, columns - columnPanel * nr)
      guard reachesPadding(t0, count) else { continue }
      setEdgeTable(tables + (1 + columnPanel) * kc, depthFrom: q0, count: block, t0: t0, columns: count, runs: &runs)
    }
  }

  /// The table of a column panel that reaches into the padding; `runs` counts the scratch runs used.
  private func setEdgeTable(
    _ table: UnsafeMutablePointer<UnsafePointer<Float>?>, depthFrom q0: Int, count block: Int, t0: Int,
    columns count: Int, runs: inout Int
  ) {
    var stripChannel = -1
    for q in q0..<q0 + block {
      let tap = taps[q]
      let start = t0 + tap.start
      let available = input.phaseCount(tap.phase)
      if start >= 0, start + count <= available {
        table[q - q0] = UnsafePointer(input.phaseRow(firstChannel + tap.channel, tap.phase) + start)
      } else if zeroPadding, start >= available || start + count <= 0 {
        table[q - q0] = zeros
      } else if useStrips {
        if tap.channel != stripChannel {
          stripChannel = tap.channel
          stripOfPhase.update(repeating: -1, count: input.stride)
        }
        let stripStart = t0 + tapStarts.lowerBound
        if stripOfPhase[tap.phase] < 0 {
          assert(runs < edgePanels * runsPerPanel, "edge scratch sized too small")
          stripOfPhase[tap.phase] = runs
          fill(scratch + runs * runLength, channel: tap.channel, phase: tap.phase, from: stripStart, count: count + stripSpread)
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

  private var stripSpread: Int { tapStarts.upperBound - tapStarts.lowerBound }

  /// Writes phase `phase` of input row `channel` at phase positions `from ..< from + count`, padded.
  private func fill(_ run: UnsafeMutablePointer<Float>, channel: Int, phase: Int, from: Int, count: Int) {
    let (s, length) = (input.stride, input.length)
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
}
