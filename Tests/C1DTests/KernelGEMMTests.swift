import CC1DKernels
import Testing

@testable import C1D

/// The GEMM micro-tile of every kernel set, read three ways (packed B, B through a row table, rows packed
/// then multiplied), against a plain triple loop: partial tiles in both dimensions, depths around the
/// indirect kernels' blocks, bias or none, storing or accumulating, and nothing written outside the tile.
@Suite("GEMM micro-kernel")
struct KernelGEMMTests {
  struct Shape: Sendable, CustomTestStringConvertible {
    /// Rows and columns as offsets from the tile (0: the whole tile, −1: one short), or absolute when positive.
    let rows: Int, columns: Int, depth: Int
    var testDescription: String { "rows \(rows) cols \(columns) depth \(depth)" }

    func resolved(_ config: KernelConfig) -> (rows: Int, columns: Int) {
      (rows > 0 ? rows : config.mr + rows, columns > 0 ? columns : config.nr + columns)
    }
  }

  // 1, tile − 1, tile and odd counts of rows and columns; depths 1, odd, and past 64 (the by-packing block).
  static let shapes: [Shape] = [
    Shape(rows: 1, columns: 1, depth: 1), Shape(rows: 0, columns: 0, depth: 1), Shape(rows: -1, columns: -1, depth: 7),
    Shape(rows: 0, columns: 0, depth: 130), Shape(rows: 3, columns: 17, depth: 65), Shape(rows: 0, columns: 15, depth: 64),
    Shape(rows: 1, columns: 0, depth: 129), Shape(rows: 5, columns: 16, depth: 3),
  ]

  enum Read: String, Sendable, CaseIterable { case packed, indirect, packRowsThenGEMM }

  /// Weights are packed once at load for the current set's `mr`, and tests run the same plan with every
  /// set: a set with another tile needs plans made per set first (Conv1dKernel.run refuses the mismatch).
  @Test("every kernel set shares the planning tile and offers nr zeros")
  func tiles() {
    let current = KernelConfig.current
    #expect(KernelConfig.supported.contains { $0.name == current.name })
    for config in KernelConfig.supported {
      #expect(config.mr == current.mr, "\(config.name)")
      #expect(UnsafeBufferPointer(start: config.zeros, count: config.nr).allSatisfy { $0 == 0 }, "\(config.name)")
    }
  }

  /// Several threads split a group's output rows so that each unit's share of the packed weights fits the
  /// per-thread budget: at least one block per thread once the weights exceed it, never more than one per
  /// panel, and whole units on one thread or for weights that fit.
  @Test("output rows split across threads by the packed weights' size", arguments: [
    // (panels, mr, depth, threads, blocks)
    (32, 8, 1024, 2, 2),  // 1 MiB: halves
    (64, 8, 4096, 2, 16),  // 8 MiB: 512 KiB each
    (4, 8, 65536, 4, 4),  // 8 MiB over 4 panels: one block per panel
    (8, 8, 2048, 2, 1),  // 512 KiB: fits
    (32, 8, 1024, 1, 1),  // one thread keeps whole units
  ])
  func cacheRowBlocks(_ c: (Int, Int, Int, Int, Int)) {
    let (panels, mr, depth, threads, blocks) = c
    #expect(Conv1dKernel.cacheRowBlocks(panels: panels, mr: mr, depth: depth, threads: threads) == blocks)
  }

  @Test("tile matches a triple loop", arguments: KernelConfig.supported, shapes)
  func tile(_ config: KernelConfig, _ shape: Shape) {
    let mr = config.mr
    let (rows, columns) = shape.resolved(config)
    let kc = shape.depth
    let a = randomValues(kc * mr, seed: 1)
    // B as rows of an input, `offset` into each, with a margin after so that over-reads would land in it.
    let offset = 5
    let rowLength = offset + columns + 3
    let input = randomValues(kc * rowLength, seed: 2)
    let bias = randomValues(mr, seed: 3)
    let ldc = columns + 4
    func expected(bias: [Float]?, start: [Float]?) -> (Int, Int) -> Double {
      { i, j in
        var sum = start.map { Double($0[i * ldc + j]) } ?? Double(bias?[i] ?? 0)
        for p in 0..<kc { sum += Double(a[p * mr + i]) * Double(input[p * rowLength + offset + j]) }
        return sum
      }
    }
    let sentinel: Float = 1234.5
    for read in Read.allCases {
      for (useBias, accumulate) in [(true, false), (false, false), (true, true)] {
        let before = randomValues(mr * ldc, seed: 4).enumerated().map { index, v in
          index % ldc < columns && index / ldc < rows ? v : sentinel
        }
        var c = before
        run(config, read, kc: kc, a: a, input: input, rowLength: rowLength, offset: offset, c: &c, ldc: ldc,
            rows: rows, columns: columns, accumulate: accumulate, bias: useBias ? bias : nil)
        let reference = expected(bias: useBias ? bias : nil, start: accumulate ? before : nil)
        var worst = 0.0
        var outside = 0
        for i in 0..<mr {
          for j in 0..<ldc {
            if i < rows, j < columns {
              worst = max(worst, abs(Double(c[i * ldc + j]) - reference(i, j)))
            } else if c[i * ldc + j] != before[i * ldc + j] {
              outside += 1
            }
          }
        }
        let label = "\(config.name) \(read) bias \(useBias) accumulate \(accumulate)"
        #expect(worst <= 1e-5 * Double(kc + 1), "\(label): error \(worst)")
        #expect(outside == 0, "\(label): \(outside) elements written outside the tile")
      }
    }
  }

  private func run(
    _ config: KernelConfig, _ read: Read, kc: Int, a: [Float], input: [Float], rowLength: Int, offset: Int,
    c: inout [Float], ldc: Int, rows: Int, columns: Int, accumulate: Bool, bias: [Float]?
  ) {
    input.withUnsafeBufferPointer { x in
      let table: [UnsafePointer<Float>?] = (0..<kc).map { p in x.baseAddress! + p * rowLength }
      let nr = config.nr
      var panel = [Float](repeating: .nan, count: kc * nr)
      let flag: Int32 = accumulate ? 1 : 0
      table.withUnsafeBufferPointer { t in
        bias.withUnsafeBufferPointerIfPresent { b in
          switch read {
          case .packed:
            // The packed layout, written here by hand: the packing function is tested by the third way.
            for p in 0..<kc {
              for j in 0..<nr { panel[p * nr + j] = j < columns ? input[p * rowLength + offset + j] : 0 }
            }
            config.gemm(kc, a, panel, &c, ldc, rows, columns, flag, b)
          case .indirect:
            config.gemm_indirect(kc, a, t.baseAddress!, offset, &c, ldc, rows, columns, flag, b)
          case .packRowsThenGEMM:
            config.pack_rows(kc, t.baseAddress!, offset, columns, &panel)
            let zerosPastColumns = (0..<kc).allSatisfy { p in (columns..<nr).allSatisfy { panel[p * nr + $0] == 0 } }
            #expect(zerosPastColumns, "\(config.name): pack_rows leaves the panel's last columns nonzero")
            config.gemm(kc, a, panel, &c, ldc, rows, columns, flag, b)
          }
        }
      }
    }
  }

  /// Row q = (c, k) of the im2col matrix reads channel c, phase and start of shift k·d − left in the stride.
  @Test("long undilated kernels read B in place only on the sets that measured it faster", arguments: KernelConfig.supported)
  func inPlace(_ config: KernelConfig) {
    func attributes(_ kernelSize: Int, dilation: Int = 1) -> Conv1dAttributes {
      Conv1dAttributes(inChannels: 32, outChannels: 64, kernelSize: kernelSize, stride: 1, dilation: dilation, groups: 1)
    }
    func readsInPlace(_ a: Conv1dAttributes) -> Bool {
      Conv1dKernel.readsInPlace(a, panels: 8, rowBytes: 3136, config)
    }
    let measured = config.name == "avx2"
    #expect(readsInPlace(attributes(16)) == measured)
    #expect(readsInPlace(attributes(8)) == measured)
    #expect(!readsInPlace(attributes(7)))
    #expect(!readsInPlace(attributes(16, dilation: 2)))
  }

  /// (panels, row bytes, kernel size, dilation, whether AVX2 reads in place): TCN's 25-channel k7 convs on
  /// 784 frames read in place at every dilation; rows or taps a multiple of 4 KiB apart (WaveNet's 1024
  /// frames) and more panels pack.
  @Test("convs with few A panels read B in place on AVX2 unless rows or taps alias in L1", arguments: [
    (4, 3136, 7, 1, true), (4, 3136, 7, 128, true), (4, 3136, 1, 1, true), (1, 3136, 3, 1, true),
    (4, 4096, 1, 1, false), (4, 8192 + 100, 7, 1, false), (4, 4096 - 100, 7, 1, false), (4, 3136, 2, 1024, false),
    (5, 3136, 7, 1, false), (32, 1600, 1, 1, false),
  ])
  func inPlaceFewPanels(_ c: (Int, Int, Int, Int, Bool)) {
    let (panels, rowBytes, kernelSize, dilation, avx2) = c
    let a = Conv1dAttributes(inChannels: 25, outChannels: 25, kernelSize: kernelSize, dilation: dilation)
    for config in KernelConfig.supported {
      let expected = config.name == "avx2" && avx2
      #expect(Conv1dKernel.readsInPlace(a, panels: panels, rowBytes: rowBytes, config) == expected, "\(config.name)")
    }
  }

  @Test("the im2col tap table follows its definition", arguments: [(1, 1, 1, 0), (3, 2, 1, 1), (5, 3, 2, 7), (2, 4, 3, 0)])
  func taps(_ stride: Int, _ dilation: Int, _ kernelSize: Int, _ left: Int) {
    let a = Conv1dAttributes(inChannels: 6, outChannels: 4, kernelSize: kernelSize, stride: stride, dilation: dilation, groups: 2)
    let expected = (0..<3 * kernelSize).map { q in
      let (c, k) = q.quotientAndRemainder(dividingBy: kernelSize)
      let shift = k * dilation - left
      let start = Int((Double(shift) / Double(stride)).rounded(.down))
      return Tap(channel: c, phase: shift - start * stride, start: start)
    }
    #expect(Tap.table(a, padLeft: left) == expected)
  }
}

extension Optional where Wrapped == [Float] {
  /// The array's base address for a C call, or nil.
  func withUnsafeBufferPointerIfPresent<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array = self else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress!) }
  }

}
