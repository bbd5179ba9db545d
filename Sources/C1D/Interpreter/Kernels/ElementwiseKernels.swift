#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Activations: one kernel, one specialised loop per function.
struct ActivationKernel: OpKernel {
  enum Function: Sendable {
    case relu, silu, tanh, sigmoid
    case leakyRelu(Float)
    case elu(Float)
    case gelu(GELUApproximation)
    /// One slope, or one per channel.
    case prelu([Float])
  }

  let function: Function

  func run(_ inputs: [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    var y = x.data
    let innerLength = x.shape.length ?? 1
    y.withUnsafeMutableBufferPointer { v in
      switch function {
      case .relu:
        for i in v.indices { v[i] = v[i] > 0 ? v[i] : (v[i].isNaN ? v[i] : 0) }
      case .leakyRelu(let slope):
        for i in v.indices where v[i] < 0 { v[i] *= slope }
      case .elu(let alpha):
        for i in v.indices where v[i] <= 0 { v[i] = alpha * expm1f(v[i]) }
      case .silu:
        for i in v.indices { v[i] = v[i] / (1 + expf(-v[i])) }
      case .sigmoid:
        for i in v.indices { v[i] = 1 / (1 + expf(-v[i])) }
      case .tanh:
        for i in v.indices { v[i] = tanhf(v[i]) }
      case .gelu(.none):
        for i in v.indices { v[i] = 0.5 * v[i] * (1 + erff(v[i] * 0.70710678118654752440)) }
      case .gelu(.tanh):
        let k: Float = 0.79788456080286535588  // sqrt(2/pi)
        for i in v.indices {
          let z = v[i]
          v[i] = 0.5 * z * (1 + tanhf(k * (z + 0.044715 * z * z * z)))
        }
      case .prelu(let slopes):
        let channels = x.shape.channels
        for i in v.indices where v[i] < 0 {
          let c = slopes.count == 1 ? 0 : (i / innerLength) % channels
          v[i] *= slopes[c]
        }
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }
}

/// `add` and `mul` of two values of the same shape.
struct BinaryKernel: OpKernel {
  let isProduct: Bool

  func run(_ inputs: [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    var y = inputs[0].data
    inputs[1].data.withUnsafeBufferPointer { b in
      y.withUnsafeMutableBufferPointer { a in
        if isProduct {
          for i in a.indices { a[i] *= b[i] }
        } else {
          for i in a.indices { a[i] += b[i] }
        }
      }
    }
    return Activation(shape: output, batch: inputs[0].batch, data: y)
  }
}

/// Concatenation along channels.
struct ConcatKernel: OpKernel {
  func run(_ inputs: [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let batch = inputs[0].batch
    var y: [Float] = []
    y.reserveCapacity(batch * output.elementCount)
    for n in 0..<batch {
      for input in inputs {
        let size = input.sampleSize
        y += input.data[n * size..<(n + 1) * size]
      }
    }
    return Activation(shape: output, batch: batch, data: y)
  }
}

/// `pad` along time.
struct PadKernel: OpKernel {
  let attributes: PadAttributes

  func run(_ inputs: [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    let length = x.shape.length!
    let rows = x.batch * x.shape.channels
    let outLength = output.length!
    let border = Border(attributes.mode, value: attributes.value)
    var y = [Float](repeating: 0, count: rows * outLength)
    x.data.withUnsafeBufferPointer { xb in
      y.withUnsafeMutableBufferPointer { yb in
        for r in 0..<rows {
          border.pad(
            xb.baseAddress! + r * length, length: length, left: attributes.left, right: attributes.right,
            into: yb.baseAddress! + r * outLength)
        }
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }
}

/// `slice` along time.
struct SliceKernel: OpKernel {
  let attributes: SliceAttributes

  func run(_ inputs: [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    let length = x.shape.length!
    let range = attributes.range(forLength: length)
    var y: [Float] = []
    y.reserveCapacity(x.batch * output.elementCount)
    for r in 0..<x.batch * x.shape.channels {
      y += x.data[r * length + range.lowerBound..<r * length + range.upperBound]
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }
}

/// `flatten`: the same data, seen as features.
struct FlattenKernel: OpKernel {
  func run(_ inputs: [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    Activation(shape: output, batch: inputs[0].batch, data: inputs[0].data)
  }
}
