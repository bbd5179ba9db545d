import CC1DKernels

/// A kernel-3 convolution computed by pairs of outputs with fewer multiplications (Winograd's minimal
/// filtering): a few GEMMs over transformed input rows, run on the ordinary micro-kernel through 1×1
/// kernels, then one interleaving combine.
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
/// three GEMMs over pair columns — P of depth C, the two others of depth 2C — 5C multiply-adds per pair
/// instead of 6C. (wav2vec 2.0's feature encoder, Whisper's second conv.)
///
/// The transformed rows are written per tile of pairs, the padding applied there, so they stay in cache
/// and never take more memory than one tile's.
final class OutputPairs: Sendable {
  enum Form: Sendable, Hashable {
    /// Stride 1: transformed rows [d0; d1; d2; d3], products M0…M3.
    case winograd23
    /// Stride 2: transformed rows [v0 − v2; v1; v2; v4 − v2; v3], products P, Q = [w0 | w1]·[v0 − v2; v1],
    /// R = [w2 | w1]·[v4 − v2; v3].
    case stride2
  }

  /// One GEMM: a 1×1 kernel over the transformed rows from `firstRow` (in blocks of C rows) on.
  struct Product: Sendable {
    let kernel: Conv1dKernel
    let firstRow: Int
  }

  let form: Form
  /// The conv's dilation (1 for stride 2).
  let dilation: Int
  /// In the order the combine takes them.
  let products: [Product]
  let inChannels: Int
  let outChannels: Int
  var stride: Int { form == .stride2 ? 2 : 1 }
  /// Transformed rows per input channel.
  var rowsPerChannel: Int { form == .stride2 ? 5 : 4 }

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

  /// Pairs covering `outLength` outputs: up to the last block's lanes that have a first output.
  func pairCount(outLength: Int) -> Int {
    guard outLength > 0 else { return 0 }
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
    let form: Form = a.stride == 1 ? .winograd23 : .stride2
    self.form = form
    dilation = a.dilation
    // The transformed weights go straight into each product's panels, in one pass over the weights (C):
    // per product, `blocks` blocks of C depth rows, every element written, the zero rows included.
    let blocks = form == .winograd23 ? [1, 1, 1, 1] : [1, 2, 2]
    let panelRows = (m + kernels.mr - 1) / kernels.mr * kernels.mr
    let packed = [Float].uninitialized(counts: blocks.map { $0 * c * panelRows }[...]) { g in
      let weight = loadingWeight()
      precondition(weight.count == m * c * 3, "\(weight.count) weights for \(a)")
      weight.withUnsafeBufferPointer { w in
        switch form {
        case .winograd23: c1d_f32_pack_winograd23_weights(m, c, kernels.mr, w.baseAddress!, g[0], g[1], g[2], g[3])
        case .stride2: kernels.pack_stride2_weights(m, c, kernels.mr, w.baseAddress!, g[0], g[1], g[2])
        }
      }
    }
    let zeros = [Float](repeating: 0, count: m)
    // winograd23: G0…G3 over d0…d3, the bias once (with M1). stride2: P over v2, Q = [w0 | w1] over
    // [v0 − v2; v1], R = [w2 | w1] over [v4 − v2; v3].
    let firstRows = form == .winograd23 ? [0, 1, 2, 3] : [2, 0, 3]
    let biased = form == .winograd23 ? 1 : 0
    products = packed.indices.map { index in
      Product(
        kernel: .pointwise(
          inChannels: blocks[index] * c, outChannels: m, packed: packed[index], bias: index == biased ? bias : zeros,
          kernels: kernels),
        firstRow: firstRows[index])
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
    // Tiles of whole blocks: a tile's outputs are then the contiguous run from twice its first pair.
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
      let input = PhasedInput(
        original: SharedPointer(base: transformed), phased: SharedPointer(base: transformed), length: columns,
        stride: 1, phases: 1, phaseLength: columns)
      // The products of this unit's rows, `width` apart.
      let block = panels.count * mr * width
      let scratch = UnsafeMutablePointer<Float>.allocate(capacity: pairs.products.count * block)
      defer { scratch.deallocate() }
      for (index, product) in pairs.products.enumerated() {
        // The GEMM addresses rows by their panel's absolute index; the scratch holds this unit's rows only.
        product.kernel.gemmTile(
          input, firstChannel: product.firstRow * c, tile: scratch + index * block - firstRow * width, ldc: width,
          outLength: columns, firstColumn: 0, columns: columns, panels: panels, kernels: kernels)
      }
      let firstOutput = 2 * firstPair
      let outputs = min(2 * columns, outLength - firstOutput)
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
        }
      }
      finish.apply(
        y.base, from: (n * m + firstRow) * outLength + firstOutput, rows: rowCount, stride: outLength, columns: outputs,
        firstChannel: firstRow)
    }
  }

  /// The transformed rows of one sample's pairs `firstPair ..< firstPair + columns`: for each of the form's
  /// rows, C channels of `columns` values. The caller deallocates them.
  private func transform(
    _ pairs: OutputPairs, _ sample: UnsafeMutablePointer<Float>, length: Int, firstPair: Int, columns: Int,
    reachHigh: Int, _ kernels: KernelConfig
  ) -> UnsafeMutablePointer<Float> {
    let c = pairs.inChannels
    let border = Border(attributes.paddingMode)
    let transformed = UnsafeMutablePointer<Float>.allocate(capacity: pairs.rowsPerChannel * c * columns)
    for channel in 0..<c {
      func part(_ index: Int) -> UnsafeMutablePointer<Float> { transformed + (index * c + channel) * columns }
      let row = sample + channel * length
      switch pairs.form {
      case .winograd23 where pairs.dilation > 1:
        kernels.winograd23_dilated_pairs(
          row, length, padLeft, border.code, border.constant, reachHigh, pairs.dilation, firstPair, columns,
          part(0), part(1), part(2), part(3))
      case .winograd23:
        kernels.winograd23_pairs(
          row, length, padLeft, border.code, border.constant, reachHigh, firstPair, columns,
          part(0), part(1), part(2), part(3))
      case .stride2:
        kernels.stride2_pairs(
          row, length, padLeft, border.code, border.constant, reachHigh, firstPair, columns,
          part(0), part(1), part(2), part(3), part(4))
      }
    }
    return transformed
  }

  /// One tile of this (ungrouped) kernel's GEMM.
  func gemmTile(
    _ input: PhasedInput, firstChannel: Int, tile: UnsafeMutablePointer<Float>, ldc: Int, outLength: Int,
    firstColumn: Int, columns: Int, panels: Range<Int>, kernels: KernelConfig
  ) {
    packed.withUnsafeBufferPointer { pb in
      bias.withUnsafeBufferPointer { bb in
        indirectGEMMTile(
          input, firstChannel: firstChannel, tile: tile, ldc: ldc, outLength: outLength, group: 0,
          firstColumn: firstColumn, columns: columns, panels: panels, packed: UnsafeMutablePointer(mutating: pb.baseAddress!),
          bias: UnsafeMutablePointer(mutating: bb.baseAddress!), kernels: kernels)
      }
    }
  }
}
