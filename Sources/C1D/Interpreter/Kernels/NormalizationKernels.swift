import CC1DKernels

/// Inference batch norm as one scale and shift per channel, computed at load.
struct BatchNormKernel: OpKernel {
  let scale: [Float]
  let shift: [Float]

  init(attributes: NormAttributes, mean: Tensor, variance: Tensor, weight: Tensor?, bias: Tensor?) {
    var scale = [Float](repeating: 0, count: attributes.channels)
    var shift = scale
    for c in 0..<attributes.channels {
      let invstd = 1 / (Double(variance.values[c]) + attributes.eps).squareRoot()
      let w = Double(weight?.values[c] ?? 1)
      scale[c] = Float(w * invstd)
      shift[c] = Float(Double(bias?.values[c] ?? 0) - Double(mean.values[c]) * w * invstd)
    }
    self.scale = scale
    self.shift = shift
  }

  func run(_ inputs: [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    let length = x.shape.length ?? 1
    let channels = x.shape.channels
    var y = x.data
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

/// `GroupNorm` (statistics over each group's channels and time) and layer norm over channels
/// (statistics over channels at each time step). Statistics accumulate in Double.
struct NormalizationKernel: OpKernel {
  let attributes: NormAttributes
  let overChannels: Bool
  let weight: [Float]?
  let bias: [Float]?

  func run(_ inputs: [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    var y = x.data
    let length = x.shape.length ?? 1
    let channels = x.shape.channels
    let eps = attributes.eps
    y.withUnsafeMutableBufferPointer { v in
      for n in 0..<x.batch {
        let sample = n * channels * length
        if overChannels {
          var mean = [Double](repeating: 0, count: length)
          var variance = mean
          for c in 0..<channels {
            for t in 0..<length { mean[t] += Double(v[sample + c * length + t]) }
          }
          for t in 0..<length { mean[t] /= Double(channels) }
          for c in 0..<channels {
            for t in 0..<length {
              let d = Double(v[sample + c * length + t]) - mean[t]
              variance[t] += d * d
            }
          }
          let rstd = variance.map { 1 / ($0 / Double(channels) + eps).squareRoot() }
          for c in 0..<channels {
            let (w, b) = (Double(weight?[c] ?? 1), Double(bias?[c] ?? 0))
            for t in 0..<length {
              let i = sample + c * length + t
              v[i] = Float((Double(v[i]) - mean[t]) * rstd[t] * w + b)
            }
          }
        } else {
          let groupChannels = channels / attributes.groups
          let count = groupChannels * length
          for g in 0..<attributes.groups {
            let start = sample + g * count
            var sum = 0.0
            for i in start..<start + count { sum += Double(v[i]) }
            let mean = sum / Double(count)
            var squares = 0.0
            for i in start..<start + count {
              let d = Double(v[i]) - mean
              squares += d * d
            }
            let rstd = 1 / (squares / Double(count) + eps).squareRoot()
            for c in 0..<groupChannels {
              let channel = g * groupChannels + c
              let scale = rstd * Double(weight?[channel] ?? 1)
              let shift = Double(bias?[channel] ?? 0) - mean * scale
              for i in start + c * length..<start + (c + 1) * length { v[i] = Float(Double(v[i]) * scale + shift) }
            }
          }
        }
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }
}
