import CC1DKernels

/// A kernel-3 convolution computed by pairs (or, stride 2, triples) of outputs with fewer multiplications
/// (Winograd's minimal filtering): a few GEMMs over transformed input rows, run on the ordinary
/// micro-kernel through 1×1 kernels, then one interleaving combine.
///
/// **Stride 1, F(2, 3).** Outputs 2u and 2u + 1 read v_j = x[2u − left + j], j = 0…3. With
/// d0 = v0 − v2, d1 = v1 + v2, d2 = v2 − v1, d3 = v1 − v3 and G0 = w0, G1 = (w0 + w1 + w2)/2,
/// G2 = (w0 − w1 + w2)/2, G3 = w2, and M_i = Σ_channels G_i·d_i:
///
///     y[2u]     = M0 + M1 + M2
///     y[2u + 1] = M1 − M2 − M3
///
/// four GEMMs of depth C: 4C multiply-adds per pair instead of 6C. (Dense k3 layers, Whisper's first conv.)
///
/// **Stride 1, dilation d > 1.** The same F(2, 3) on each of the d phases of the output: outputs t and
/// t + d read v_j = x[t − left + j·d]. Pairs come in blocks of d (pair u: t = 2d·⌊u/d⌋ + u mod d), so a
/// tile of whole blocks writes one contiguous run of outputs. (HiFi-GAN's and EnCodec's dilated residual
/// units.)
///
/// **Stride 2, F(2, 2) on taps 0 and 2.** Outputs 2u and 2u + 1 read v_j = x[4u − left + j], j = 0…4:
///
///     y[2u]     = w0·v0 + w1·v1 + w2·v2
///     y[2u + 1] = w0·v2 + w1·v3 + w2·v4
///
/// With P = (w0 + w2)·v2, y[2u] = P + w0·(v0 − v2) + w1·v1 and y[2u + 1] = P + w2·(v4 − v2) + w1·v3:
/// three products over pair columns — P of depth C, the two others of two passes of depth C each, w1's
/// panels shared by both — 5C multiply-adds per pair instead of 6C, 4C packed weights per output channel
/// (w0 + w2, w0, w1, w2) instead of 5C. (wav2vec 2.0's feature encoder, Whisper's second conv.)
///
/// **Stride 2, F(3, 2) on taps 0 and 2** (kernel sets with vector triples kernels: `stride2_by_triples`).
/// Outputs 3u, 3u + 1 and 3u + 2 read v_j = x[6u − left + j], j = 0…6. With S = ((w0 + w2)/2)·(v2 + v4) and
/// D = ((w0 − w2)/2)·(v4 − v2), S + D = w0·v4 + w2·v2 and S − D = w0·v2 + w2·v4, so
///
///     y[3u]     = w0·(v0 − v4) + w1·v1 + (S + D)
///     y[3u + 1] = (S − D) + w1·v3
///     y[3u + 2] = (S + D) + w2·(v6 − v2) + w1·v5
///
/// five products over triple columns, seven passes of depth C: 7C multiply-adds per three outputs, 2.33C
/// per output against the pairs' 2.5C, 5C packed weights per output channel.
///
/// The transformed rows are written per tile of pairs, the padding applied there, so they stay in cache
/// and never take more memory than one tile's.
final class OutputPairs: Sendable {
  enum Form: Sendable, Hashable {
    /// Stride 1: transformed rows [d0; d1; d2; d3], products M0…M3.
    case winograd23
    /// Stride 2: transformed rows [v0 − v2; v1; v2; v4 − v2; v3], products P = (w0 + w2)·v2,
    /// Q = w0·(v0 − v2) + w1·v1, R = w2·(v4 − v2) + w1·v3.
    case stride2
    /// Stride 2 by triples: transformed rows [v0 − v4; v1; v2 + v4; v4 − v2; v3; v6 − v2; v5], products
    /// A = w0·(v0 − v4) + w1·v1, S = ((w0 + w2)/2)·(v2 + v4), D = ((w0 − w2)/2)·(v4 − v2), O = w1·v3,
    /// B = w2·(v6 − v2) + w1·v5.
    case stride2Triples
  }

  /// One GEMM pass: a 1×1 kernel of depth C over the transformed rows from `firstRow` (in blocks of C rows) on.
  struct Pass: Sendable {
    let kernel: Conv1dKernel
    let firstRow: Int
  }

  /// One product: its passes, the first storing (with its kernel's bias), the others adding to it.
  struct Product: Sendable {
    let passes: [Pass]
  }

  let form: Form
  /// The conv's dilation (1 for stride 2).
  let dilation: Int
  /// In the order the combine takes them.
  let products: [Product]
  let inChannels: Int
  let outChannels: Int
  var stride: Int { form == .winograd23 ? 1 : 2 }
  /// Transformed rows per input channel.
  var rowsPerChannel: Int {
    switch form {
    case .winograd23: 4
    case .stride2: 5
    case .stride2Triples: 7
    }
  }
  /// Outputs per column of the products: a pair's two or a triple's three.
  var outputsPerColumn: Int { form == .stride2Triples ? 3 : 2 }

  /// Pair columns per unit of work: a unit's products stay in L2 until combined.
  static let tileColumns = 64
  /// Fewer pairs than a micro-kernel panel's columns leave most of each panel idle.
  static func minimumPairs(_ kernels: KernelConfig) -> Int { kernels.nr }

  /// Whether the conv is one this applies to, and big enough for the GEMM path to pay. Dilations up to
  /// `tileColumns` only: a tile holds whole blocks of d pairs, and its buffers stay as small as undilated ones.
  static func applies(_ a: Conv1dAttributes, kernels: KernelConfig) -> Bool {
    a.kernelSize == 3 && (a.stride == 1 ? a.dilation <= tileColumns : a.stride == 2 && a.dilation == 1) && a.groups == 1
      && a.inChannels >= 8 && a.outChannels >= 2 * kernels.mr
  }

  /// Pairs (or triples) covering `outLength` outputs: up to the last block's lanes that have a first output.
  func pairCount(outLength: Int) -> Int {
    guard outLength > 0 else { return 0 }
    if form == .stride2Triples { return (outLength + 2) / 3 }
    let d = dilation
    let lastBlock = (outLength - 1) / (2 * d)
    return lastBlock * d + min(d, outLength - 2 * d * lastBlock)
  }

  /// Pair columns per unit of work: `tileColumns`, in whole blocks of `dilation`.
  var tileWidth: Int { max(1, Self.tileColumns / dilation) * dilation }

  /// nil unless `applies`.
  /// - Parameter loadingWeight: the weights, called once the panels are allocated (see `Conv1dKernel.make`).
  init?(_ a: Conv1dAttributes, loadingWeight: () -> [Float], bias: [Float], kernels: KernelConfig) {
    guard Self.applies(a, kernels: kernels) else { return nil }
    let (c, m) = (a.inChannels, a.outChannels)
    inChannels = c
    outChannels = m
    let form: Form = a.stride == 1 ? .winograd23 : kernels.stride2_by_triples != 0 ? .stride2Triples : .stride2
    self.form = form
    dilation = a.dilation
    // The transformed weights go straight into their panels, in one pass over the weights (C): per
    // panel set, C depth rows, every element written, the zero rows included.
    let panelRows = (m + kernels.mr - 1) / kernels.mr * kernels.mr
    let sets = form == .stride2Triples ? 5 : 4
    let packed = [Float].uninitialized(counts: Array(repeating: c * panelRows, count: sets)[...]) { g in
      let weight = loadingWeight()
      precondition(weight.count == m * c * 3, "\(weight.count) weights for \(a)")
      weight.withUnsafeBufferPointer { w in
        switch form {
        case .winograd23: c1d_f32_pack_winograd23_weights(m, c, kernels.mr, w.baseAddress!, g[0], g[1], g[2], g[3])
        case .stride2: kernels.pack_stride2_weights(m, c, kernels.mr, w.baseAddress!, g[0], g[1], g[2], g[3])
        case .stride2Triples:
          // w0 + w2, w0, w1, w2 as the pairs pack them, then (w0 + w2)/2 and (w0 − w2)/2 from the panels:
          // halving is exact, so each is the sum or difference rounded once.
          kernels.pack_stride2_weights(m, c, kernels.mr, w.baseAddress!, g[0], g[1], g[2], g[3])
          let (sum, w0, w2, difference) = (g[0], g[1], g[3], g[4])
          for i in 0..<c * panelRows {
            sum[i] *= 0.5
            difference[i] = (w0[i] - w2[i]) * 0.5
          }
        }
      }
    }
    let zeros = [Float](repeating: 0, count: m)
    // winograd23: G0…G3 over d0…d3, the bias once (with M1). stride2: P = (w0 + w2) over v2 with the bias,
    // Q = w0 over v0 − v2 then w1 over v1, R = w2 over v4 − v2 then w1 over v3.
    let biased = form == .winograd23 ? 1 : 0
    let passKernels = packed.indices.map { index in
      Conv1dKernel.pointwise(
        inChannels: c, outChannels: m, packed: packed[index], bias: index == biased ? bias : zeros, kernels: kernels)
    }
    switch form {
    case .winograd23:
      products = (0..<4).map { Product(passes: [Pass(kernel: passKernels[$0], firstRow: $0)]) }
    case .stride2:
      let (p, w0, w1, w2) = (passKernels[0], passKernels[1], passKernels[2], passKernels[3])
      products = [
        Product(passes: [Pass(kernel: p, firstRow: 2)]),
        Product(passes: [Pass(kernel: w0, firstRow: 0), Pass(kernel: w1, firstRow: 1)]),
        Product(passes: [Pass(kernel: w2, firstRow: 3), Pass(kernel: w1, firstRow: 4)]),
      ]
    case .stride2Triples:
      let (s, w0, w1, w2, d) = (passKernels[0], passKernels[1], passKernels[2], passKernels[3], passKernels[4])
      products = [
        Product(passes: [Pass(kernel: w0, firstRow: 0), Pass(kernel: w1, firstRow: 1)]),
        Product(passes: [Pass(kernel: s, firstRow: 2)]),
        Product(passes: [Pass(kernel: d, firstRow: 3)]),
        Product(passes: [Pass(kernel: w1, firstRow: 4)]),
        Product(passes: [Pass(kernel: w2, firstRow: 5), Pass(kernel: w1, firstRow: 6)]),
      ]
    }
  }
}

extension Conv1dKernel {
  func runPairs(
    _ pairs: OutputPairs, _ x: SharedPointer, _ y: SharedPointer, batch: Int, length: Int, outLength: Int,
    _ finish: EpilogueRunner, _ context: ExecutionContext
  ) {
    let (c, m, mr) = (pairs.inChannels, pairs.outChannels, self.mr)
    let kernels = context.kernels
    let pairCount = pairs.pairCount(outLength: outLength)
    let threads = Parallel.threads(
      context.threads, work: Parallel.work(2, batch, m, 3 * c, outLength), perThread: 1 << 19)
    let reachHigh = (outLength - 1) * pairs.stride + 2 * pairs.dilation - padLeft
    // Tiles of whole blocks: a tile's outputs are then the contiguous run from its first column's first output.
    let width = pairs.tileWidth
    let tiles = (pairCount + width - 1) / width
    let panelCount = (m + mr - 1) / mr
    let coarse = batch * tiles
    let rowBlocks = Self.rowBlocks(coarse: coarse, panels: panelCount, threads: threads)
    Parallel.forEach(coarse * rowBlocks, threads: threads) { unit in
      let (rest, rowBlock) = unit.quotientAndRemainder(dividingBy: rowBlocks)
      let (n, tile) = rest.quotientAndRemainder(dividingBy: tiles)
      let panels = rowBlock * panelCount / rowBlocks..<(rowBlock + 1) * panelCount / rowBlocks
      let firstRow = panels.lowerBound * mr
      let rowCount = min(m, panels.upperBound * mr) - firstRow
      let firstPair = tile * width
      let columns = min(width, pairCount - firstPair)
      let transformed = transform(
        pairs, x.base + n * c * length, length: length, firstPair: firstPair, columns: columns, reachHigh: reachHigh,
        kernels)
      defer { transformed.deallocate() }
      // The products of this unit's rows, `width` apart.
      let block = panels.count * mr * width
      let scratch = UnsafeMutablePointer<Float>.allocate(capacity: pairs.products.count * block)
      defer { scratch.deallocate() }
      for (index, product) in pairs.products.enumerated() {
        for (number, pass) in product.passes.enumerated() {
          // The GEMM addresses rows by their panel's absolute index; the scratch holds this unit's rows only.
          pass.kernel.gemmTile(
            columnPanels: transformed, rowsPerPanel: pairs.rowsPerChannel * c, firstRow: pass.firstRow * c,
            tile: scratch + index * block - firstRow * width, ldc: width, columns: columns, panels: panels,
            accumulating: number > 0, kernels: kernels)
        }
      }
      let firstOutput = pairs.outputsPerColumn * firstPair
      let outputs = min(pairs.outputsPerColumn * columns, outLength - firstOutput)
      for row in 0..<rowCount {
        let p = scratch + row * width
        let out = y.base + (n * m + firstRow + row) * outLength + firstOutput
        switch pairs.form {
        case .winograd23 where pairs.dilation > 1:
          kernels.winograd23_dilated_combine(p, p + block, p + 2 * block, p + 3 * block, pairs.dilation, out, outputs)
        case .winograd23:
          kernels.winograd23_combine(p, p + block, p + 2 * block, p + 3 * block, out, outputs)
        case .stride2:
          kernels.stride2_combine(p, p + block, p + 2 * block, out, outputs)
        case .stride2Triples:
          // The C kernel takes the five products as an array of pointers: a tuple's bytes are one.
          let products = (
            UnsafePointer(p), UnsafePointer(p + block), UnsafePointer(p + 2 * block), UnsafePointer(p + 3 * block),
            UnsafePointer(p + 4 * block))
          withUnsafeBytes(of: products) {
            kernels.stride2_triples_combine($0.assumingMemoryBound(to: UnsafePointer<Float>?.self).baseAddress!, out, outputs)
          }
        }
      }
      finish.apply(
        y.base, from: (n * m + firstRow) * outLength + firstOutput, rows: rowCount, stride: outLength, columns: outputs,
        firstChannel: firstRow)
    }
  }

  /// The transformed rows of one sample's pairs `firstPair ..< firstPair + columns`, as the GEMM's B in
  /// column panels of `nr` pairs: per panel, for each of the form's rows, C channels of `nr` values (zero
  /// past `columns`). The products then read B in place: no packing copy. The caller deallocates them.
  private func transform(
    _ pairs: OutputPairs, _ sample: UnsafeMutablePointer<Float>, length: Int, firstPair: Int, columns: Int,
    reachHigh: Int, _ kernels: KernelConfig
  ) -> UnsafeMutablePointer<Float> {
    let (c, nr) = (pairs.inChannels, kernels.nr)
    let border = Border(attributes.paddingMode)
    let rowsPerPanel = pairs.rowsPerChannel * c
    let columnPanels = (columns + nr - 1) / nr
    let transformed = UnsafeMutablePointer<Float>.allocate(capacity: columnPanels * rowsPerPanel * nr)
    if columns % nr != 0 {
      (transformed + (columnPanels - 1) * rowsPerPanel * nr).initialize(repeating: 0, count: rowsPerPanel * nr)
    }
    // Channel by channel, each row's run read once from the start of the tile on. The runs lie a row apart,
    // out of the hardware prefetcher's reach: the next channel's is asked for ahead of its turn.
    let step = pairs.stride * pairs.outputsPerColumn
    let runStart = max(0, step * firstPair - padLeft)
    let runBytes = (min(length, runStart + step * columns + 2 * pairs.dilation + 1) - runStart) * 4
    for channel in 0..<c {
      let row = sample + channel * length
      if channel + 1 < c, runBytes > 0 { c1d_prefetch(row + length + runStart, runBytes) }
      for columnPanel in 0..<columnPanels {
        let first = firstPair + columnPanel * nr
        let count = min(nr, columns - columnPanel * nr)
        let panel = transformed + columnPanel * rowsPerPanel * nr
        func part(_ index: Int) -> UnsafeMutablePointer<Float> { panel + (index * c + channel) * nr }
        switch pairs.form {
        case .winograd23 where pairs.dilation > 1:
          kernels.winograd23_dilated_pairs(
            row, length, padLeft, border.code, border.constant, reachHigh, pairs.dilation, first, count,
            part(0), part(1), part(2), part(3))
        case .winograd23:
          kernels.winograd23_pairs(
            row, length, padLeft, border.code, border.constant, reachHigh, first, count,
            part(0), part(1), part(2), part(3))
        case .stride2:
          kernels.stride2_pairs(
            row, length, padLeft, border.code, border.constant, reachHigh, first, count,
            part(0), part(1), part(2), part(3), part(4))
        case .stride2Triples:
          let rows = (part(0), part(1), part(2), part(3), part(4), part(5), part(6))  // passed as an array of pointers
          withUnsafeBytes(of: rows) {
            kernels.stride2_triples(
              row, length, padLeft, border.code, border.constant, reachHigh, first, count,
              $0.assumingMemoryBound(to: UnsafeMutablePointer<Float>?.self).baseAddress!)
          }
        }
      }
    }
    return transformed
  }

  /// One tile of this (ungrouped, 1×1) kernel's GEMM with B already in column panels of `nr` columns:
  /// depth row q of panel p at `columnPanels[(p · rowsPerPanel + firstRow + q) · nr ...]`. `accumulating`
  /// adds to the tile (no bias) instead of storing.
  func gemmTile(
    columnPanels: UnsafePointer<Float>, rowsPerPanel: Int, firstRow: Int, tile: UnsafeMutablePointer<Float>,
    ldc: Int, columns: Int, panels: Range<Int>, accumulating: Bool, kernels: KernelConfig
  ) {
    let nr = kernels.nr
    let gemm = kernels.gemm
    packed.withUnsafeBufferPointer { pb in
      bias.withUnsafeBufferPointer { bb in
        let (packed, bias) = (UnsafeMutablePointer(mutating: pb.baseAddress!), UnsafeMutablePointer(mutating: bb.baseAddress!))
        for q0 in stride(from: 0, to: depth, by: Self.depthBlock) {
          let block = min(Self.depthBlock, depth - q0)
          for columnPanel in 0..<(columns + nr - 1) / nr {
            let b = columnPanels + (columnPanel * rowsPerPanel + firstRow + q0) * nr
            for panel in panels {
              let t = microTile(
                panel: panel, group: 0, depthFrom: q0, columnPanel: columnPanel, columns: columns, tile: tile,
                ldc: ldc, nr: nr, packed: packed, bias: bias)
              gemm(block, t.a, b, t.c, ldc, t.rows, t.count, accumulating ? 1 : t.accumulate, accumulating ? nil : t.bias)
            }
          }
        }
      }
    }
  }
}
