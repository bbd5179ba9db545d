import CC1DKernels

/// Max and average pooling with PyTorch's window rules (padding, dilation, ceil mode,
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
    let threads = Parallel.threads(context.threads, work: Parallel.work(rows, outLength, a.kernelSize), perThread: 1 << 17)
    let y = [Float].uninitialized(count: rows * outLength) { yb in
      x.data.withUnsafeBufferPointer { xb in
        let input = SharedPointer(base: UnsafeMutablePointer(mutating: xb.baseAddress!))
        let result = SharedPointer(base: yb.baseAddress!)
        Parallel.forEach(rows, threads: threads) { r in
          let row = input.base + r * length
          let out = result.base + r * outLength
          if isMax {
            context.kernels.max_pool_row(row, length, a.kernelSize, a.stride, a.dilation, a.padding, out, outLength)
          } else {
            averageRow(row, length: length, out, outLength)
          }
        }
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }

  private func averageRow(_ row: UnsafePointer<Float>, length: Int, _ y: UnsafeMutablePointer<Float>, _ outLength: Int) {
    let a = attributes
    for t in 0..<outLength {
      let start = t * a.stride - a.padding
      var end = min(start + a.kernelSize, length + a.padding)
      let poolSize = end - start
      let lower = max(start, 0)
      end = min(end, length)
      var sum: Float = 0
      for i in lower..<max(end, lower) { sum += row[i] }
      let divisor = a.countIncludePad ? poolSize : end - lower
      y[t] = sum / Float(divisor)
    }
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
