import CC1DKernels

/// Activations, vectorised per ISA in C (CC1DKernels/f32-vact-*.c).
struct ActivationKernel: OpKernel {
  let kind: Int32
  let parameter: Float
  /// Elements per parallel work item.
  static let chunk = 1 << 13

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let batch = inputs[0].batch
    var y = inputs[0].takeData()
    y.withUnsafeMutableBufferPointer { v in
      let base = SharedPointer(base: v.baseAddress!)
      let count = v.count
      Parallel.forEach((count + Self.chunk - 1) / Self.chunk, threads: context.threads) { chunk in
        let start = chunk * Self.chunk
        context.kernels.activation(kind, base.base + start, min(Self.chunk, count - start), parameter)
      }
    }
    return Activation(shape: output, batch: batch, data: y)
  }
}

/// `nn.PReLU`: one shared slope or one per channel.
struct PReLUKernel: OpKernel {
  let slopes: [Float]

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    var y = inputs[0].takeData()
    let x = inputs[0]
    let innerLength = x.shape.length ?? 1
    let channels = x.shape.channels
    y.withUnsafeMutableBufferPointer { v in
      // PReLU is a leaky ReLU whose slope is the row's channel's.
      for row in 0..<x.batch * channels {
        let slope = slopes.count == 1 ? slopes[0] : slopes[row % channels]
        context.kernels.activation(Int32(C1D_ACT_LEAKY_RELU), v.baseAddress! + row * innerLength, innerLength, slope)
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }
}

/// Concatenation along channels.
struct ConcatKernel: OpKernel {
  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let batch = inputs[0].batch
    var y: [Float] = []
    y.reserveCapacity(batch * output.elementCount)
    for n in 0..<batch {
      for input in copy inputs {
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

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
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

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
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
  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    Activation(shape: output, batch: inputs[0].batch, data: inputs[0].data)
  }
}
