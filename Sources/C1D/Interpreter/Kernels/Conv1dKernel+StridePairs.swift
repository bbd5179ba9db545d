import CC1DKernels

/// A kernel-3, stride-2 convolution computed by pairs of outputs, with a sixth fewer multiplications.
///
/// Outputs 2u and 2u + 1 read v_j = x[4u − left + j], j = 0…4:
///
///     y[2u]     = w0·v0 + w1·v1 + w2·v2
///     y[2u + 1] = w0·v2 + w1·v3 + w2·v4
///
/// The taps 0 and 2 of both outputs form Winograd's F(2, 2): with P = (w0 + w2)·v2,
/// y[2u] = P + w0·(v0 − v2) + w1·v1 and y[2u + 1] = P + w2·(v4 − v2) + w1·v3. Summed over input
/// channels these are three GEMMs over pair columns — P of depth C, the two others of depth 2C — 5C
/// multiply-adds per pair instead of 6C. (wav2vec 2.0's feature encoder and Whisper's second conv are
/// such convs.) The transformed input rows are written per tile of pairs, the padding applied there;
/// the GEMMs run on the ordinary micro-kernel through three 1×1 kernels over those rows.
final class StridePairs: Sendable {
  /// Over rows [D2]: weights w0 + w2, and the conv's bias.
  let shared: Conv1dKernel
  /// Over rows [D1; E]: weights [w0 | w1].
  let even: Conv1dKernel
  /// Over rows [D3; F]: weights [w2 | w1].
  let odd: Conv1dKernel
  var inChannels: Int { shared.attributes.inChannels }
  var outChannels: Int { shared.attributes.outChannels }

  /// Pair columns per unit of work: P, Q and R of a unit stay in L2 until combined.
  static let tileColumns = 64
  /// Fewer pairs than a micro-kernel panel's columns leave most of each panel idle.
  static let minimumPairs = Conv1dKernel.nr

  /// nil unless the conv is one this applies to, and big enough for the GEMM path to pay.
  init?(_ a: Conv1dAttributes, weight: [Float], bias: [Float]) {
    guard a.kernelSize == 3, a.stride == 2, a.dilation == 1, a.groups == 1, a.inChannels >= 8,
      a.outChannels >= 2 * Conv1dKernel.mr
    else { return nil }
    let (c, m) = (a.inChannels, a.outChannels)
    func tap(_ o: Int, _ i: Int, _ k: Int) -> Float { weight[(o * c + i) * 3 + k] }
    var sharedWeight = [Float](), evenWeight = [Float](), oddWeight = [Float]()
    sharedWeight.reserveCapacity(m * c)
    evenWeight.reserveCapacity(2 * m * c)
    oddWeight.reserveCapacity(2 * m * c)
    for o in 0..<m {
      for i in 0..<c { sharedWeight.append(tap(o, i, 0) + tap(o, i, 2)) }
      for i in 0..<c { evenWeight.append(tap(o, i, 0)) }
      for i in 0..<c { evenWeight.append(tap(o, i, 1)) }
      for i in 0..<c { oddWeight.append(tap(o, i, 2)) }
      for i in 0..<c { oddWeight.append(tap(o, i, 1)) }
    }
    let zeros = [Float](repeating: 0, count: m)
    func pointwise(_ inputs: Int) -> Conv1dAttributes {
      Conv1dAttributes(inChannels: inputs, outChannels: m, kernelSize: 1)
    }
    shared = Conv1dKernel(attributes: pointwise(c), weight: sharedWeight, bias: bias, padLeft: 0, epilogue: [])
    even = Conv1dKernel(attributes: pointwise(2 * c), weight: evenWeight, bias: zeros, padLeft: 0, epilogue: [])
    odd = Conv1dKernel(attributes: pointwise(2 * c), weight: oddWeight, bias: zeros, padLeft: 0, epilogue: [])
  }
}

extension Conv1dKernel {
  func runPairs(
    _ pairs: StridePairs, _ x: SharedPointer, _ y: SharedPointer, batch: Int, length: Int, outLength: Int,
    _ finish: EpilogueRunner, _ context: ExecutionContext
  ) {
    let (c, m, mr) = (pairs.inChannels, pairs.outChannels, Self.mr)
    let pairCount = (outLength + 1) / 2
    let threads = Parallel.threads(
      context.threads, work: Parallel.work(2, batch, m, 3 * c, outLength), perThread: 1 << 19)
    let border = Border(attributes.paddingMode)
    let reachHigh = (outLength - 1) * 2 + 2 - padLeft
    let width = StridePairs.tileColumns
    let tiles = (pairCount + width - 1) / width
    let panelCount = (m + mr - 1) / mr
    let coarse = batch * tiles
    let rowBlocks = coarse >= 3 * threads ? 1 : min(panelCount, (3 * threads + coarse - 1) / coarse)
    Parallel.forEach(coarse * rowBlocks, threads: threads) { unit in
      let (rest, rowBlock) = unit.quotientAndRemainder(dividingBy: rowBlocks)
      let (n, tile) = rest.quotientAndRemainder(dividingBy: tiles)
      let panels = rowBlock * panelCount / rowBlocks..<(rowBlock + 1) * panelCount / rowBlocks
      let firstRow = panels.lowerBound * mr
      let rowCount = min(m, panels.upperBound * mr) - firstRow
      let firstPair = tile * width
      let columns = min(width, pairCount - firstPair)
      // The tile's input rows [D1 (c); E (c); D2 (c); D3 (c); F (c)], `columns` long: made per tile, so
      // they stay in cache and never take more memory than one tile's.
      let transformed = UnsafeMutablePointer<Float>.allocate(capacity: 5 * c * columns)
      defer { transformed.deallocate() }
      for channel in 0..<c {
        func part(_ index: Int) -> UnsafeMutablePointer<Float> { transformed + (index * c + channel) * columns }
        c1d_stride2_pairs(
          context.isa, x.base + (n * c + channel) * length, length, padLeft, border.code, border.constant, reachHigh,
          firstPair, columns, part(0), part(1), part(2), part(3), part(4))
      }
      let input = PhasedInput(
        original: SharedPointer(base: transformed), phased: SharedPointer(base: transformed), length: columns,
        stride: 1, phases: 1, phaseLength: columns)
      // P, Q and R of this unit's rows, `width` apart.
      let block = panels.count * mr * width
      let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 3 * block)
      defer { scratch.deallocate() }
      // The GEMM addresses rows by their panel's absolute index; the scratch holds this unit's rows only.
      func multiply(_ kernel: Conv1dKernel, firstRowOfInput: Int, into index: Int) {
        kernel.gemmTile(
          input, firstChannel: firstRowOfInput, tile: scratch + index * block - firstRow * width, ldc: width,
          outLength: columns, firstColumn: 0, columns: columns, panels: panels, isa: context.isa)
      }
      multiply(pairs.shared, firstRowOfInput: 2 * c, into: 0)
      multiply(pairs.even, firstRowOfInput: 0, into: 1)
      multiply(pairs.odd, firstRowOfInput: 3 * c, into: 2)
      let firstOutput = 2 * firstPair
      let outputs = min(2 * columns, outLength - firstOutput)
      for row in 0..<rowCount {
        let p = scratch + row * width
        c1d_pairs_combine(
          context.isa, p, p + block, p + 2 * block, y.base + (n * m + firstRow + row) * outLength + firstOutput, outputs)
      }
      finish.apply(
        y.base, from: (n * m + firstRow) * outLength + firstOutput, rows: rowCount, stride: outLength, columns: outputs,
        firstChannel: firstRow)
    }
  }

  /// One tile of this (ungrouped) kernel's GEMM.
  func gemmTile(
    _ input: PhasedInput, firstChannel: Int, tile: UnsafeMutablePointer<Float>, ldc: Int, outLength: Int,
    firstColumn: Int, columns: Int, panels: Range<Int>, isa: c1d_isa
  ) {
    packed.withUnsafeBufferPointer { pb in
      bias.withUnsafeBufferPointer { bb in
        indirectGEMMTile(
          input, firstChannel: firstChannel, tile: tile, ldc: ldc, outLength: outLength, group: 0,
          firstColumn: firstColumn, columns: columns, panels: panels, packed: UnsafeMutablePointer(mutating: pb.baseAddress!),
          bias: UnsafeMutablePointer(mutating: bb.baseAddress!), isa: isa)
      }
    }
  }
}
