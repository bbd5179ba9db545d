import CC1DKernels

/// `F.glu(x, dim)`: the axis halves into `a` and `b`, and the result is `a · sigmoid(b)`.
struct GLUOp: OpDefinition {
  static let name = "glu"
  static let minorVersion = 1
  var axis: Axis

  init(axis: Axis = .channels) { self.axis = axis }
  init(attributes a: FieldReader, node: String) throws { axis = try a.enumeration("axis", default: Axis.channels) }

  var attributes: [String: JSONValue] { ["axis": .string(axis.rawValue)] }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    var kind = try check.unaryElementwise(sequenceOnly: true)
    if axis == .channels {
      guard kind.channels % 2 == 0 else {
        throw check.fail("Halving dimension must be even, but dimension 1 is size \(kind.channels)")
      }
      kind.channels /= 2
    }
    return kind
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    switch axis {
    case .channels: return ValueShape(channels: infer.x.channels / 2, length: infer.x.length)
    case .time:
      guard infer.length % 2 == 0 else {
        throw infer.tooShort("Halving dimension must be even, but dimension 2 is size \(infer.length)")
      }
      return ValueShape(channels: infer.x.channels, length: infer.length / 2)
    }
  }

  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * 5 }

  var timeLocality: TimeLocality {
    axis == .channels ? .pointwise : .wholeAxis(reason: "glu over time pairs the first half of the signal with the second")
  }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { GLUKernel(axis: axis) }

  var summary: String { "over \(axis.rawValue)" }
}

extension Op {
  public static func glu(overTime: Bool = false) -> Op { Op(GLUOp(axis: overTime ? .time : .channels)) }
}

struct GLUKernel: OpKernel {
  let axis: Axis

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let x = inputs[0]
    let (inChannels, inLength) = (x.shape.channels, x.shape.length ?? 1)
    let (channels, length) = (output.channels, output.length ?? 1)
    let y = [Float].uninitialized(count: x.batch * output.elementCount) { yb in
      x.data.withUnsafeBufferPointer { xb in
        for n in 0..<x.batch {
          let sample = xb.baseAddress! + n * inChannels * inLength
          for c in 0..<channels {
            // The second half starts `half` elements after the first, along the halved axis.
            let a = sample + c * inLength
            let b = axis == .channels ? a + channels * inLength : a + length
            c1d_sigmoid_gate(a, b, 1, yb.baseAddress! + (n * channels + c) * length, length)
          }
        }
      }
    }
    return Activation(shape: output, batch: x.batch, data: y)
  }
}
