import CC1DKernels

/// `conv_transpose1d` as `stride` ordinary stride-1 convolutions (its polyphase decomposition), each run
/// by `Conv1dKernel`'s GEMM, then one pass that interleaves their outputs.
///
/// **The decomposition.** Output frame `t` sums `w[c, o, k] · x[c, j]` over the taps `k` with
/// `j·s − p + k·d = t`, i.e. `j = (t + p − k·d) / s` where that divides exactly. Split the output by phase:
/// `t = t0 + v·s`, `t0 ∈ 0..<s`. With `r = (t0 + p) mod s`, the taps of phase `t0` are the `k` with
/// `k·d ≡ r (mod s)`: none unless `gcd(d, s)` divides `r` (then the phase is the bias alone), else every
/// `s/gcd` kernel taps from the least such `k`. Consecutive taps read input frames `d/gcd` apart, and the
/// greatest tap `kmax` reads the lowest one, `j = v + base` with `base = (t0 + p − kmax·d) / s`. So phase `t0`
/// is a stride-1 convolution with dilation `d/gcd`, its taps in reverse order (`u` ↔ `kmax − u·s/gcd`),
/// weights transposed per group (`w[g·Cin/G + c, o, k]` becomes `w'[g·Cout/G + o, c, u]`), and left
/// padding `−base`; the right padding follows from the phase's output length `⌈(L_out − t0) / s⌉`.
///
/// A phase whose `base` is positive (padding beyond the kernel's reach: PyTorch crops the full scatter
/// by more than it pads) would need negative padding; its convolution instead starts `base` frames
/// earlier, with no padding, and those first frames are dropped when interleaving. (Phases differ in
/// `base`, so one cropped input would not serve them all. The dropped frames cost at most what the uncropped
/// scatter would, as PyTorch's col2im computes it: a phase never runs past about `L` frames.) Stride 1 is
/// one phase: a plain convolution.
struct ConvTranspose1dKernel: OpKernel {
  /// One output phase with taps: frames `firstOutput`, `firstOutput + s`, ….
  struct Phase: Sendable {
    let firstOutput: Int
    /// The phase's stride-1 convolution over the input.
    let conv: Conv1dKernel
    /// Leading frames of the convolution's output that fall before the output (a positive `base`).
    let skip: Int
  }

  let attributes: ConvTranspose1dAttributes
  /// The phases with taps (at most `min(stride, kernel_size)`), by first output frame; the others are
  /// the bias alone.
  let phases: [Phase]
  let bias: [Float]
  /// Strides up to this interleave in one pass over each output row, all phases at once; larger ones
  /// (rare, and mostly phases of bias only) fill the bias and then write each phase's frames.
  static let maxMergedStride = 16

  init(attributes a: ConvTranspose1dAttributes, weight: [Float], bias: [Float]) {
    self.attributes = a
    self.bias = bias
    phases = PhasePlan.plans(a).map { plan in
      Phase(firstOutput: plan.firstOutput, conv: plan.kernel(a, weight: weight, bias: bias), skip: max(plan.base, 0))
    }
  }

  /// Output frames of phase `t0`.
  private func frames(_ t0: Int, outLength: Int) -> Int {
    t0 < outLength ? (outLength - 1 - t0) / attributes.stride + 1 : 0
  }

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    let outLength = output.length!
    // Each phase's output, `(N, C_out, skip + frames of the phase)`.
    var results = [(phase: Phase, values: Activation)]()
    for phase in phases {
      let frames = frames(phase.firstOutput, outLength: outLength)
      guard frames > 0 else { continue }
      let result = phase.conv.run(
        [x], output: ValueShape(channels: attributes.outChannels, length: phase.skip + frames), context: context)
      // Stride 1 without skipped frames: the one phase is the output.
      if attributes.stride == 1, phase.skip == 0 { return result }
      results.append((phase, result))
    }
    let y =
      attributes.stride <= Self.maxMergedStride
      ? interleave(results, batch: x.batch, outLength: outLength, context: context)
      : scatter(results, batch: x.batch, outLength: outLength, context: context)
    return Activation(shape: output, batch: x.batch, data: y)
  }

  /// Writes frame `v` of phase `t0` to output frame `t0 + v·s`, and the bias to the frames of phases
  /// without taps: one pass over each output row (`c1d_interleave_phases`).
  private func interleave(
    _ results: [(phase: Phase, values: Activation)], batch: Int, outLength: Int, context: ExecutionContext
  ) -> [Float] {
    let s = attributes.stride
    let channels = attributes.outChannels
    let rows = batch * channels
    let threads = Parallel.threads(context.threads, work: Parallel.work(rows, outLength), perThread: 1 << 18)
    // Per phase: its skipped frames and its row length in its output; nil for a phase of bias only.
    var rowLayout = [(skip: Int, rowLength: Int)?](repeating: nil, count: s)
    for (phase, _) in results {
      rowLayout[phase.firstOutput] = (phase.skip, phase.skip + frames(phase.firstOutput, outLength: outLength))
    }
    let layout = rowLayout
    let firstOutputs = results.map(\.phase.firstOutput)
    return [Float].uninitialized(count: rows * outLength) { yb in
      let y = SharedPointer(base: yb.baseAddress!)
      withPinned(results.map(\.values)[...]) { pinned in
        var byPhase = [SharedPointer?](repeating: nil, count: s)
        for (t0, source) in zip(firstOutputs, pinned) { byPhase[t0] = source }
        let sources = byPhase
        let bias = self.bias
        Parallel.forEach(rows, threads: threads) { row in
          withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: s) { rowPhases in
            for t0 in 0..<s {
              rowPhases[t0] = sources[t0].map { UnsafePointer($0.base + row * layout[t0]!.rowLength + layout[t0]!.skip) }
            }
            context.kernels.interleave_phases(rowPhases.baseAddress!, s, outLength, bias[row % channels], y.base + row * outLength)
          }
        }
      }
    }
  }

  /// `interleave` for large strides: each output row filled with its bias, then each phase's frames
  /// written `stride` apart, phase by phase.
  private func scatter(
    _ results: [(phase: Phase, values: Activation)], batch: Int, outLength: Int, context: ExecutionContext
  ) -> [Float] {
    let (s, channels) = (attributes.stride, attributes.outChannels)
    let rows = batch * channels
    let threads = Parallel.threads(context.threads, work: Parallel.work(rows, outLength), perThread: 1 << 18)
    var y = [Float](repeating: 0, count: rows * outLength)
    y.withUnsafeMutableBufferPointer { yb in
      let out = SharedPointer(base: yb.baseAddress!)
      let bias = self.bias
      Parallel.forEach(rows, threads: threads) { row in
        (out.base + row * outLength).update(repeating: bias[row % channels], count: outLength)
      }
      for (phase, values) in results {
        let (t0, skip) = (phase.firstOutput, phase.skip)
        let frames = frames(t0, outLength: outLength)
        values.data.withUnsafeBufferPointer { source in
          let phaseRows = SharedPointer(base: UnsafeMutablePointer(mutating: source.baseAddress!))
          Parallel.forEach(rows, threads: threads) { row in
            let from = phaseRows.base + row * (skip + frames) + skip
            let to = out.base + row * outLength + t0
            for v in 0..<frames { to[v * s] = from[v] }
          }
        }
      }
    }
    return y
  }
}

/// Where phase `firstOutput` of a transposed convolution reads: its taps and the input frame its first
/// output's first tap reads (see `ConvTranspose1dKernel`).
private struct PhasePlan {
  let firstOutput: Int
  /// Kernel taps of the phase, greatest first (the stride-1 convolution's taps 0, 1, …).
  let taps: [Int]
  /// `(firstOutput + padding − taps[0]·dilation) / stride`: exact, and at most `(firstOutput + padding) / stride`.
  let base: Int
  /// Input frames between consecutive taps: `dilation / gcd(dilation, stride)`.
  let dilation: Int

  /// The phases with taps, by first output frame. Tap `k` lands in phase `(k·d − p) mod s`: grouping the
  /// taps costs O(kernel_size), whatever the stride. Within a phase the taps are `s/gcd(d, s)` apart.
  static func plans(_ a: ConvTranspose1dAttributes) -> [PhasePlan] {
    let s = a.stride
    var tapsOfPhase: [Int: [Int]] = [:]
    for k in stride(from: a.kernelSize - 1, through: 0, by: -1) {
      let t0 = ((k * a.dilation - a.padding) % s + s) % s
      tapsOfPhase[t0, default: []].append(k)
    }
    let dilation = a.dilation / gcd(a.dilation, s)
    return tapsOfPhase.keys.sorted().map { t0 in
      let taps = tapsOfPhase[t0]!
      return PhasePlan(firstOutput: t0, taps: taps, base: (t0 + a.padding - taps[0] * a.dilation) / s, dilation: dilation)
    }
  }

  /// The phase's stride-1 convolution, starting at input frame `base` when that is positive (its first
  /// `base` outputs then precede the phase's first frame), else padded by `−base`.
  func kernel(_ a: ConvTranspose1dAttributes, weight: [Float], bias: [Float]) -> Conv1dKernel {
    let (inGroup, outGroup, k) = (a.inChannels / a.groups, a.outChannels / a.groups, a.kernelSize)
    let count = taps.count
    // conv1d's layout `(out, in/groups, taps)` from the transposed `(in, out/groups, k)`, in blocks of
    // input channels: each block's source rows are read in order and its targets written in runs (by
    // output channel first, every read was a new cache line: 10 ms of a 2 M-weight upsampler's load).
    let block = 16
    let w = [Float].uninitialized(count: a.outChannels * inGroup * count) { target in
      weight.withUnsafeBufferPointer { source in
        taps.withUnsafeBufferPointer { taps in
          for g in 0..<a.groups {
            for c0 in stride(from: 0, to: inGroup, by: block) {
              for o in 0..<outGroup {
                for c in c0..<min(c0 + block, inGroup) {
                  let from = ((g * inGroup + c) * outGroup + o) * k
                  let to = ((g * outGroup + o) * inGroup + c) * count
                  for u in 0..<count { target[to + u] = source[from + taps[u]] }
                }
              }
            }
          }
        }
      }
    }
    let padLeft = max(-base, 0)
    let conv = Conv1dAttributes(
      inChannels: a.inChannels, outChannels: a.outChannels, kernelSize: count, padding: .explicit(padLeft),
      dilation: dilation, groups: a.groups, bias: a.bias)
    return Conv1dKernel.make(attributes: conv, weight: w, bias: bias, padLeft: padLeft, epilogue: [])
  }
}

/// Pins every activation's storage for the duration of `body` (one level per phase: at most
/// `ConvTranspose1dKernel.maxMergedStride` deep).
private func withPinned<R>(_ values: ArraySlice<Activation>, _ body: ([SharedPointer]) -> R) -> R {
  guard let first = values.first else { return body([]) }
  return first.data.withUnsafeBufferPointer { buffer in
    withPinned(values.dropFirst()) { rest in
      body([SharedPointer(base: UnsafeMutablePointer(mutating: buffer.baseAddress!))] + rest)
    }
  }
}

/// The greatest common divisor of two positive integers.
private func gcd(_ a: Int, _ b: Int) -> Int {
  var (x, y) = (a, b)
  while y != 0 { (x, y) = (y, x % y) }
  return x
}
