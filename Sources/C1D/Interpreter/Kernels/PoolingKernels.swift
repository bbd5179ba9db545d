/// `max_pool1d` and `avg_pool1d` with PyTorch's window rules (padding, dilation, ceil mode,
/// count_include_pad), and the global average pool.
struct PoolKernel: OpKernel {
  let attributes: PoolAttributes
  let isMax: Bool

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    let a = attributes
    let length = x.shape.length!
    let outLength = output.length!
    let rows = x.batch * x.shape.channels
    var y = [Float](repeating: 0, count: rows * outLength)
    x.data.withUnsafeBufferPointer { xb in
      for r in 0..<rows {
        let row = xb.baseAddress! + r * length
        for t in 0..<outLength {
          let start = t * a.stride - a.padding
          if isMax {
            var best = -Float.infinity
            var sawNaN = false
            for k in 0..<a.kernelSize {
              let i = start + k * a.dilation
              guard i >= 0, i < length else { continue }
              let value = row[i]
              if value.isNaN { sawNaN = true }
              if value > best { best = value }
            }
            y[r * outLength + t] = sawNaN ? .nan : best
          } else {
            var end = min(start + a.kernelSize, length + a.padding)
            let poolSize = end - start
            let lower = max(start, 0)
            end = min(end, length)
            var sum: Float = 0
            for i in lower..<max(end, lower) { sum += row[i] }
            let divisor = a.countIncludePad ? poolSize : end - lower
            y[r * outLength + t] = sum / Float(divisor)
          }
        }
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }
}

struct GlobalAveragePoolKernel: OpKernel {
  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    let length = x.shape.length!
    let rows = x.batch * x.shape.channels
    var y = [Float](repeating: 0, count: rows)
    for r in 0..<rows {
      var sum = 0.0
      for i in r * length..<(r + 1) * length { sum += Double(x.data[i]) }
      y[r] = Float(sum / Double(length))
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }
}

/// `linear` on features, `y = x Wᵀ + b`.
struct LinearKernel: OpKernel {
  let attributes: LinearAttributes
  let weight: [Float]
  let bias: [Float]?

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    let (inFeatures, outFeatures) = (attributes.inFeatures, attributes.outFeatures)
    var y = [Float](repeating: 0, count: x.batch * outFeatures)
    for n in 0..<x.batch {
      for o in 0..<outFeatures {
        var sum: Float = 0
        for f in 0..<inFeatures { sum += weight[o * inFeatures + f] * x.data[n * inFeatures + f] }
        y[n * outFeatures + o] = sum + (bias?[o] ?? 0)
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }
}
