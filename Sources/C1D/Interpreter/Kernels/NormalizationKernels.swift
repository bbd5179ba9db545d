import CC1DKernels

/// Inference batch norm as one scale and shift per channel, computed at load.
struct BatchNormKernel: OpKernel {
  let scale: [Float]
  let shift: [Float]

  init(attributes: NormAttributes, mean: Tensor, variance: Tensor, weight: Tensor?, bias: Tensor?) {
    var scale = [Float](repeating: 0, count: attributes.channels)
    var shift = scale
    // The arrays taken out of the optional tensors once: read through them in the loop, each element cost
    // a retain and a release (0.6% of a QuartzNet block's whole process).
    let (means, variances, weights, biases) = (mean.values, variance.values, weight?.values, bias?.values)
    for c in 0..<attributes.channels {
      let invstd = 1 / (Double(variances[c]) + attributes.eps).squareRoot()
      let w = Double(weights?[c] ?? 1)
      scale[c] = Float(w * invstd)
      shift[c] = Float(Double(biases?[c] ?? 0) - Double(means[c]) * w * invstd)
    }
    self.scale = scale
    self.shift = shift
  }

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    var y = inputs[0].takeData()
    let x = inputs[0]
    let length = x.shape.length ?? 1
    let channels = x.shape.channels
    y.withUnsafeMutableBufferPointer { v in
      for row in 0..<x.batch * channels {
        let c = row % channels
        let (s, b) = (scale[c], shift[c])
        for i in row * length..<(row + 1) * length { v[i] = v[i] * s + b }
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }
}

/// An op whose kernel is a `NormalizationKernel` (group, instance and layer norm), to which the planner can
/// hand the activation that alone reads its output.
protocol NormalizingOp: OpDefinition {
  func normalizationKernel(_ parameters: KernelParameters) -> NormalizationKernel
}

extension NormalizingOp {
  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { normalizationKernel(parameters) }
}

/// Group normalisation (statistics over each group's channels and time) and layer norm over channels
/// (statistics over channels at each time step). Statistics accumulate in Double.
struct NormalizationKernel: OpKernel {
  let attributes: NormAttributes
  let overChannels: Bool
  let weight: [Float]?
  let bias: [Float]?
  /// An activation that alone read the norm's output (wav2vec 2.0's GroupNorm → GELU), applied by the
  /// kernel (see `Fusion`): by group norm to each channel's row right after normalising it, while the row is
  /// in cache; by layer norm to each sample once it is normalised.
  var activation: ActivationFunction? = nil

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    var y = inputs[0].takeData()
    let x = inputs[0]
    let length = x.shape.length ?? 1
    y.withUnsafeMutableBufferPointer { v in
      if overChannels {
        for n in 0..<x.batch {
          let sample = v.baseAddress! + n * x.shape.channels * length
          normalizeOverChannels(sample, x.shape.channels, length)
          activate(sample, count: x.shape.channels * length, context)
        }
      } else {
        groupNorm(SharedPointer(base: v.baseAddress!), batch: x.batch, channels: x.shape.channels, length: length, context)
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }

  private func activate(_ values: UnsafeMutablePointer<Float>, count: Int, _ context: ExecutionContext) {
    guard let activation else { return }
    context.kernels.activation(activation.kind, values, count, activation.parameter)
  }

  /// Layer norm over the channels of one sample, at each time step.
  private func normalizeOverChannels(_ v: UnsafeMutablePointer<Float>, _ channels: Int, _ length: Int) {
    var mean = [Double](repeating: 0, count: length)
    var variance = mean
    for c in 0..<channels {
      for t in 0..<length { mean[t] += Double(v[c * length + t]) }
    }
    for t in 0..<length { mean[t] /= Double(channels) }
    for c in 0..<channels {
      for t in 0..<length {
        let d = Double(v[c * length + t]) - mean[t]
        variance[t] += d * d
      }
    }
    let rstd = variance.map { 1 / ($0 / Double(channels) + attributes.eps).squareRoot() }
    for c in 0..<channels {
      let (w, b) = (Double(weight?[c] ?? 1), Double(bias?[c] ?? 0))
      for t in 0..<length {
        let i = c * length + t
        v[i] = Float((Double(v[i]) - mean[t]) * rstd[t] * w + b)
      }
    }
  }

  /// GroupNorm: groups are independent; each is two vectorised passes for the statistics and one
  /// scale-and-shift per channel (in Float, as ATen's kernel applies it).
  private func groupNorm(_ data: SharedPointer, batch: Int, channels: Int, length: Int, _ context: ExecutionContext) {
    let groups = attributes.groups
    let groupChannels = channels / groups
    let count = groupChannels * length
    let eps = attributes.eps
    let units = batch * groups
    let threads = Parallel.threads(context.threads, work: Parallel.work(units, count), perThread: 1 << 16)
    Parallel.forEach(units, threads: threads) { unit in
      let g = unit % groups
      let start = data.base + unit * count
      var mean = 0.0
      var variance = 0.0
      context.kernels.moments(start, count, &mean, &variance)
      let rstd = 1 / (variance + eps).squareRoot()
      for c in 0..<groupChannels {
        let channel = g * groupChannels + c
        let scale = Float(rstd * Double(weight?[channel] ?? 1))
        let shift = Float(Double(bias?[channel] ?? 0) - mean * Double(scale))
        let row = start + c * length
        for i in 0..<length { row[i] = row[i] * scale + shift }
        activate(row, count: length, context)
      }
    }
  }
}
