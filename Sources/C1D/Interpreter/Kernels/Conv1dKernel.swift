import CC1DKernels

/// `conv1d` planned at load: weights packed once into the GEMM micro-kernel's panel layout, or kept
/// per channel for the direct depthwise kernel.
///
/// The GEMM view per sample and group: `Y[Og × Lout] = W[Og × (Cg·K)] · X[(Cg·K) × Lout] + bias`. X is
/// never materialised whole: tiles of `tileColumns` output positions are packed straight from the
/// input (stride, dilation and padding mode handled in the packing), `depthBlock` rows at a time.
struct Conv1dKernel: OpKernel {
  let attributes: Conv1dAttributes
  let weight: [Float]
  let packed: [Float]
  let bias: [Float]
  let isDepthwise: Bool

  static let mr = Int(C1D_GEMM_MR)
  static let nr = Int(C1D_GEMM_NR)
  static let tileColumns = 256
  static let depthBlock = 256

  private var groupIn: Int { attributes.inChannels / attributes.groups }
  private var groupOut: Int { attributes.outChannels / attributes.groups }
  private var depth: Int { groupIn * attributes.kernelSize }
  private var panelsPerGroup: Int { (groupOut + Self.mr - 1) / Self.mr }

  init(attributes: Conv1dAttributes, weight: Tensor, bias: Tensor?) {
    self.attributes = attributes
    self.weight = weight.values
    self.bias = bias?.values ?? [Float](repeating: 0, count: attributes.outChannels)
    isDepthwise = attributes.inChannels == attributes.groups
    packed = isDepthwise ? [] : Self.pack(weight.values, attributes)
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

  func run(_ inputs: [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    // Both paths write every output element (the GEMM's first depth block stores, not accumulates).
    let y = [Float].uninitialized(count: x.batch * output.elementCount) { yb in
      x.data.withUnsafeBufferPointer { xb in
        let input = SharedPointer(base: UnsafeMutablePointer(mutating: xb.baseAddress!))
        let result = SharedPointer(base: yb.baseAddress!)
        if isDepthwise {
          runDepthwise(input, result, batch: x.batch, length: x.shape.length!, outLength: output.length!, context)
        } else {
          runGEMM(input, result, batch: x.batch, length: x.shape.length!, outLength: output.length!, context)
        }
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }

  private func runDepthwise(_ x: SharedPointer, _ y: SharedPointer, batch: Int, length: Int, outLength: Int, _ context: ExecutionContext) {
    let a = attributes
    let (left, right) = a.padAmounts
    let border = Border(a.paddingMode)
    let multiplier = a.outChannels / a.inChannels
    let units = batch * a.inChannels
    let paddedLength = length + left + right
    weight.withUnsafeBufferPointer { wb in
      bias.withUnsafeBufferPointer { bb in
        let w = SharedPointer(base: UnsafeMutablePointer(mutating: wb.baseAddress!))
        let b = SharedPointer(base: UnsafeMutablePointer(mutating: bb.baseAddress!))
        Parallel.forEach(units, threads: context.threads) { unit in
          let (n, c) = unit.quotientAndRemainder(dividingBy: a.inChannels)
          let row = x.base + unit * length
          if a.paddingMode == .zeros {
            // Reads the input row in place; only the taps that fall in the padding are special.
            for m in 0..<multiplier {
              let o = c * multiplier + m
              c1d_depthwise_row_zero_padded(
                context.isa, row, length, left, w.base + o * a.kernelSize, a.kernelSize, a.dilation, a.stride,
                b.base[o], y.base + (n * a.outChannels + o) * outLength, outLength)
            }
            return
          }
          let padded = UnsafeMutablePointer<Float>.allocate(capacity: paddedLength)
          defer { padded.deallocate() }
          border.pad(row, length: length, left: left, right: right, into: padded)
          for m in 0..<multiplier {
            let o = c * multiplier + m
            c1d_depthwise_row(
              context.isa, padded, w.base + o * a.kernelSize, a.kernelSize, a.dilation, a.stride, b.base[o],
              y.base + (n * a.outChannels + o) * outLength, outLength)
          }
        }
      }
    }
  }

  private func runGEMM(_ x: SharedPointer, _ y: SharedPointer, batch: Int, length: Int, outLength: Int, _ context: ExecutionContext) {
    let tiles = (outLength + Self.tileColumns - 1) / Self.tileColumns
    // Enough work items for every thread: split output channels too when samples × groups × tiles is small.
    let coarse = batch * attributes.groups * tiles
    let rowBlocks = context.threads > 1 ? min(panelsPerGroup, max(1, (4 * context.threads + coarse - 1) / coarse)) : 1
    let units = coarse * rowBlocks
    packed.withUnsafeBufferPointer { pb in
      bias.withUnsafeBufferPointer { bb in
        let a = SharedPointer(base: UnsafeMutablePointer(mutating: pb.baseAddress!))
        let b = SharedPointer(base: UnsafeMutablePointer(mutating: bb.baseAddress!))
        Parallel.forEach(units, threads: context.threads) { unit in
          let (rest, rowBlock) = unit.quotientAndRemainder(dividingBy: rowBlocks)
          let (sampleGroup, tile) = rest.quotientAndRemainder(dividingBy: tiles)
          let (n, g) = sampleGroup.quotientAndRemainder(dividingBy: attributes.groups)
          let panels = rowBlock * panelsPerGroup / rowBlocks..<(rowBlock + 1) * panelsPerGroup / rowBlocks
          gemmTile(
            x: x.base + (n * attributes.inChannels + g * groupIn) * length, length: length,
            y: y.base + (n * attributes.outChannels + g * groupOut) * outLength, outLength: outLength,
            group: g, firstColumn: tile * Self.tileColumns, panels: panels, packed: a.base, bias: b.base,
            isa: context.isa)
        }
      }
    }
  }

  private func gemmTile(
    x: UnsafeMutablePointer<Float>, length: Int, y: UnsafeMutablePointer<Float>, outLength: Int, group: Int,
    firstColumn: Int, panels: Range<Int>, packed: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>,
    isa: c1d_isa
  ) {
    if attributes.stride == 1 {
      return indirectGEMMTile(
        x: x, length: length, y: y, outLength: outLength, group: group, firstColumn: firstColumn, panels: panels,
        packed: packed, bias: bias, isa: isa)
    }
    let (mr, nr) = (Self.mr, Self.nr)
    let columns = min(Self.tileColumns, outLength - firstColumn)
    let columnPanels = (columns + nr - 1) / nr
    let blockCapacity = min(Self.depthBlock, depth) * columnPanels * nr
    let packedB = UnsafeMutablePointer<Float>.allocate(capacity: blockCapacity)
    defer { packedB.deallocate() }
    var q0 = 0
    while q0 < depth {
      let kc = min(Self.depthBlock, depth - q0)
      packInput(x: x, length: length, depthRange: q0..<q0 + kc, firstColumn: firstColumn, columns: columns, into: packedB)
      for panel in panels {
        let rows = min(mr, groupOut - panel * mr)
        let aPanel = packed + ((group * panelsPerGroup + panel) * depth + q0) * mr
        let biasRows = q0 == 0 ? UnsafePointer(bias + group * groupOut + panel * mr) : nil
        for columnPanel in 0..<columnPanels {
          c1d_gemm_tile(
            isa, kc, aPanel, packedB + columnPanel * kc * nr,
            y + panel * mr * outLength + firstColumn + columnPanel * nr, outLength, rows,
            min(nr, columns - columnPanel * nr), q0 == 0 ? 0 : 1, biasRows)
        }
      }
      q0 += kc
    }
  }

  /// Stride 1: row q = (c, k) of the im2col matrix at columns t0 ..< t0 + nr is the contiguous input run
  /// x[c][t0 + k·d − left ...], so B is read in place through a table of row pointers. Only runs that
  /// reach into the padding are materialised, into a small scratch panel.
  private func indirectGEMMTile(
    x: UnsafeMutablePointer<Float>, length: Int, y: UnsafeMutablePointer<Float>, outLength: Int, group: Int,
    firstColumn: Int, panels: Range<Int>, packed: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>,
    isa: c1d_isa
  ) {
    let (mr, nr) = (Self.mr, Self.nr)
    let a = attributes
    let columns = min(Self.tileColumns, outLength - firstColumn)
    let left = a.padAmounts.left
    let border = Border(a.paddingMode)
    let kc = min(Self.depthBlock, depth)
    let columnPanels = (columns + nr - 1) / nr
    // One pointer table (and scratch for padded runs) per column panel of the tile.
    let tables = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: columnPanels * kc)
    // Scratch only for a tile whose runs reach into the padding.
    let reachesPadding = firstColumn - left < 0 || firstColumn + columns - 1 + (a.kernelSize - 1) * a.dilation - left >= length
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: reachesPadding ? columnPanels * kc * nr : 0)
    defer {
      tables.deallocate()
      scratch.deallocate()
    }
    var q0 = 0
    while q0 < depth {
      let block = min(Self.depthBlock, depth - q0)
      for columnPanel in 0..<columnPanels {
        let t0 = firstColumn + columnPanel * nr
        let count = min(nr, columns - columnPanel * nr)
        let table = tables + columnPanel * kc
        for q in q0..<q0 + block {
          let (c, k) = q.quotientAndRemainder(dividingBy: a.kernelSize)
          let row = UnsafePointer(x + c * length)
          let start = t0 + k * a.dilation - left
          if start >= 0, start + count <= length {
            table[q - q0] = row + start
          } else {
            let run = scratch + (columnPanel * kc + q - q0) * nr
            for j in 0..<count { run[j] = border.value(row, length, start + j) }
            table[q - q0] = UnsafePointer(run)
          }
        }
      }
      for panel in panels {
        let rows = min(mr, groupOut - panel * mr)
        let aPanel = packed + ((group * panelsPerGroup + panel) * depth + q0) * mr
        let biasRows = q0 == 0 ? UnsafePointer(bias + group * groupOut + panel * mr) : nil
        for columnPanel in 0..<columnPanels {
          c1d_gemm_tile_indirect(
            isa, block, aPanel, tables + columnPanel * kc, y + panel * mr * outLength + firstColumn + columnPanel * nr,
            outLength, rows, min(nr, columns - columnPanel * nr), q0 == 0 ? 0 : 1, biasRows)
        }
      }
      q0 += block
    }
  }

  /// Packs rows `depthRange` of the implicit im2col matrix, columns `firstColumn ..< +columns`, into
  /// panels of `nr` columns: element (q, j) of panel P at `P · kc · nr + q · nr + j`.
  private func packInput(
    x: UnsafeMutablePointer<Float>, length: Int, depthRange: Range<Int>, firstColumn: Int, columns: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    let a = attributes
    let nr = Self.nr
    let kc = depthRange.count
    let border = Border(a.paddingMode)
    let left = a.padAmounts.left
    let s = a.stride
    for q in depthRange {
      let (c, k) = q.quotientAndRemainder(dividingBy: a.kernelSize)
      let row = UnsafePointer(x + c * length)
      let offset = k * a.dilation - left
      // Output position t reads input index t·s + offset; inside the row for t in [tLow, tHigh].
      let tLow = -floorDivide(offset, s)
      let tHigh = floorDivide(length - 1 - offset, s)
      var panelStart = 0
      var panel = 0
      while panelStart < columns {
        let destination = out + panel * kc * nr + (q - depthRange.lowerBound) * nr
        let t0 = firstColumn + panelStart
        let count = min(nr, columns - panelStart)
        let inLow = min(max(tLow - t0, 0), count)
        let inHigh = max(min(tHigh - t0 + 1, count), inLow)
        for j in 0..<inLow { destination[j] = border.value(row, length, (t0 + j) * s + offset) }
        if s == 1 {
          (destination + inLow).update(from: row + t0 + inLow + offset, count: inHigh - inLow)
        } else {
          for j in inLow..<inHigh { destination[j] = row[(t0 + j) * s + offset] }
        }
        for j in inHigh..<count { destination[j] = border.value(row, length, (t0 + j) * s + offset) }
        for j in count..<nr { destination[j] = 0 }
        panelStart += nr
        panel += 1
      }
    }
  }
}
