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
/// earlier, with no padding, and those first frames are dropped when interleaving (at most about half
/// the phase again; phases differ in `base`, so one cropped input would not serve them all). Stride 1 is
/// one phase: a plain convolution.
struct ConvTranspose1dKernel: OpKernel {
  /// One output phase: frames `firstOutput`, `firstOutput + s`, ….
  struct Phase: Sendable {
    let firstOutput: Int
    /// The phase's stride-1 convolution over the input; nil when no tap falls in the phase.
    let conv: Conv1dKernel?
    /// Leading frames of the convolution's output that fall before the output (a positive `base`).
    let skip: Int
  }

  let attributes: ConvTranspose1dAttributes
  let phases: [Phase]
  let bias: [Float]

  init(attributes a: ConvTranspose1dAttributes, weight: [Float], bias: [Float]) {
    self.attributes = a
    self.bias = bias
    phases = (0..<a.stride).map { t0 in
      let plan = PhasePlan(a, firstOutput: t0)
      return Phase(
        firstOutput: t0, conv: plan.taps.isEmpty ? nil : plan.kernel(a, weight: weight, bias: bias), skip: max(plan.base, 0))
    }
  }

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    let s = attributes.stride
    let outLength = output.length!
    // Each phase's output, `(N, C_out, skip + frames of the phase)`; nil for a phase of bias only.
    var results = [Activation?]()
    for phase in phases {
      let frames = phase.firstOutput < outLength ? (outLength - 1 - phase.firstOutput) / s + 1 : 0
      guard frames > 0, let conv = phase.conv else {
        results.append(nil)
        continue
      }
      let result = conv.run(
        [x], output: ValueShape(channels: attributes.outChannels, length: phase.skip + frames), context: context)
      // Stride 1 without skipped frames: the one phase is the output.
      if s == 1, phase.skip == 0 { return result }
      results.append(result)
    }
    let y = interleave(results, batch: x.batch, outLength: outLength, context: context)
    return Activation(shape: output, batch: x.batch, data: y)
  }

  /// Writes frame `v` of phase `t0` to output frame `t0 + v·s`, and the bias to the frames of phases
  /// without taps.
  private func interleave(_ results: [Activation?], batch: Int, outLength: Int, context: ExecutionContext) -> [Float] {
    let s = attributes.stride
    let channels = attributes.outChannels
    let rows = batch * channels
    let threads = Parallel.threads(context.threads, work: Parallel.work(rows, outLength), perThread: 1 << 18)
    return [Float].uninitialized(count: rows * outLength) { yb in
      let y = SharedPointer(base: yb.baseAddress!)
      withPinned(results[...]) { sources in
        let bias = self.bias
        let skips = phases.map(\.skip)
        Parallel.forEach(rows, threads: threads) { row in
          withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: s) { rowPhases in
            for (t0, source) in sources.enumerated() {
              let frames = t0 < outLength ? (outLength - 1 - t0) / s + 1 : 0
              rowPhases[t0] = source.map { UnsafePointer($0.base + row * (skips[t0] + frames) + skips[t0]) }
            }
            c1d_interleave_phases(context.isa, rowPhases.baseAddress!, s, outLength, bias[row % channels], y.base + row * outLength)
          }
        }
      }
    }
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

  init(_ a: ConvTranspose1dAttributes, firstOutput t0: Int) {
    firstOutput = t0
    let s = a.stride
    let residue = (t0 + a.padding) % s
    let common = gcd(a.dilation, s)
    dilation = a.dilation / common
    // k·d ≡ residue (mod s): the solutions are one class modulo s/gcd, or none.
    let step = s / common
    if let least = (0..<min(step, a.kernelSize)).first(where: { $0 * a.dilation % s == residue }) {
      let greatest = least + (a.kernelSize - 1 - least) / step * step
      taps = Array(stride(from: greatest, through: least, by: -step))
      base = (t0 + a.padding - greatest * a.dilation) / s
    } else {
      taps = []
      base = 0
    }
  }

  /// The phase's stride-1 convolution, starting at input frame `base` when that is positive (its first
  /// `base` outputs then precede the phase's first frame), else padded by `−base`.
  func kernel(_ a: ConvTranspose1dAttributes, weight: [Float], bias: [Float]) -> Conv1dKernel {
    let (inGroup, outGroup, k) = (a.inChannels / a.groups, a.outChannels / a.groups, a.kernelSize)
    let count = taps.count
    // conv1d's layout `(out, in/groups, taps)` from the transposed `(in, out/groups, k)`.
    var w = [Float](repeating: 0, count: a.outChannels * inGroup * count)
    for g in 0..<a.groups {
      for o in 0..<outGroup {
        for c in 0..<inGroup {
          let source = ((g * inGroup + c) * outGroup + o) * k
          let target = ((g * outGroup + o) * inGroup + c) * count
          for (u, tap) in taps.enumerated() { w[target + u] = weight[source + tap] }
        }
      }
    }
    let padLeft = max(-base, 0)
    let conv = Conv1dAttributes(
      inChannels: a.inChannels, outChannels: a.outChannels, kernelSize: count, padding: .explicit(padLeft),
      dilation: dilation, groups: a.groups, bias: a.bias)
    return Conv1dKernel(attributes: conv, weight: w, bias: bias, padLeft: padLeft, epilogue: [])
  }
}

/// Pins every present activation's storage for the duration of `body`.
private func withPinned<R>(_ values: ArraySlice<Activation?>, _ body: ([SharedPointer?]) -> R) -> R {
  guard let first = values.first else { return body([]) }
  guard let value = first else { return withPinned(values.dropFirst()) { rest in body([nil] + rest) } }
  return value.data.withUnsafeBufferPointer { buffer in
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
