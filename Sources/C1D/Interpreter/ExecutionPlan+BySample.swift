/// Batches run one sample at a time when their activations are large.
///
/// No op of the format mixes the samples of a batch, so a batch's outputs are its samples' outputs side by
/// side. Run whole, a batch of N needs N times the activation memory of one sample, and a fresh process
/// meets every page of it for the first time: on (4, 64, 8000) through a dense + depthwise net that was
/// ~12,000 page faults, about 20 ms of a 140 ms run. One sample at a time reuses a quarter of the memory
/// four times, and each step's data is a quarter as large for the caches.
extension ExecutionPlan {
  /// Batches whose intermediate activations (the peak less the inputs and outputs) need more than this
  /// run sample by sample…
  static let bySampleAbove = 8 << 20
  /// …when one sample's still need at least this much, so that per-step costs stay small beside the work.
  static let bySampleMinimum = 1 << 20

  /// Only intermediates shrink: the inputs and outputs are the batch's whatever the order, and each is
  /// copied once more (a single depthwise layer on (8, 256, 4096) ran at half speed by sample).
  func shouldRunBySample(batch: Int, peakBytes: Int, boundaryBytes: Int) -> Bool {
    batch > 1 && peakBytes - boundaryBytes > Self.bySampleAbove && peakBytes / batch >= Self.bySampleMinimum
  }

  /// Bytes of the batch's inputs and outputs; nil on overflow.
  func boundaryBytes(shapes: [ValueShape], batch: Int) -> Int? {
    var total = 0
    for slot in Set(inputSlots + outputSlots) {
      let (perSample, o1) = shapes[slot].channels.multipliedReportingOverflow(by: shapes[slot].length ?? 1)
      let (bytes, o2) = perSample.multipliedReportingOverflow(by: batch * MemoryLayout<Float>.size)
      let (sum, o3) = total.addingReportingOverflow(bytes)
      if o1 || o2 || o3 { return nil }
      total = sum
    }
    return total
  }

  /// `execute`, one sample at a time, each sample's outputs copied into the batch's.
  func executeBySample(_ inputs: [Activation], shapes: [ValueShape], context: ExecutionContext) -> [Activation] {
    let batch = inputs[0].batch
    var context = context
    if preparation == .perRun, context.runKernels == nil {
      // Kernels made per run serve every sample of it, so all are alive at once anyway: made before the first
      // sample, their panels lie together below its activations, as a load's do, instead of among them,
      // where the holes freed activations leave fit the next sample's no more (dense + depthwise net on
      // (4, 64, 8000): 2% slower so).
      let kernels = RunKernels()
      for step in steps { (step.kernel as? KernelMadePerRun)?.prepare(in: kernels) }
      context.runKernels = kernels
    }
    var outputs: [Activation] = []
    for n in 0..<batch {
      let sample = inputs.map { input in
        let size = input.sampleSize
        return Activation(shape: input.shape, batch: 1, data: Array(input.data[n * size..<(n + 1) * size]))
      }
      let results = execute(sample, shapes: shapes, context: context)
      if outputs.isEmpty {
        outputs = results.map { Activation(shape: $0.shape, batch: batch, data: [Float](repeating: 0, count: batch * $0.sampleSize)) }
      }
      for (k, result) in results.enumerated() {
        let size = result.sampleSize
        outputs[k].data.withUnsafeMutableBufferPointer { all in
          result.data.withUnsafeBufferPointer { one in
            (all.baseAddress! + n * size).update(from: one.baseAddress!, count: size)
          }
        }
      }
    }
    return outputs
  }
}
