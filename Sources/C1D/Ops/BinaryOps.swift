import CC1DKernels

/// Element-wise ops of two values with PyTorch's broadcasting over `(N, C, L)`: each of N, C and L
/// equal, or 1 in one of them (`add`, `mul` of version 1.0; `sub`, `div`, `pow`, `maximum`, `minimum`
/// of 1.1). Features `(N, F)` broadcast with features.
protocol BroadcastBinaryOp: OpDefinition {
  init()
  static var operation: c1d_binary_op { get }
}

extension BroadcastBinaryOp {
  init(attributes: FieldReader, node: String) throws { self.init() }
  static var minorVersion: Int { 1 }
  var acceptsConstantOperands: Bool { true }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try check.expectArity(2...2)
    try check.expectParameters([:])
    let (a, b) = (check.inputs[0], check.inputs[1])
    guard a.isSequence == b.isSequence else {
      throw C1DError.shapeMismatch(
        node: check.node, value: check.inputNames[1], expected: a.isSequence ? "a (N, C, L) sequence like '\(check.inputNames[0])'" : "(N, F) features like '\(check.inputNames[0])'",
        actual: b.description)
    }
    guard a.channels == b.channels || a.channels == 1 || b.channels == 1 else {
      throw C1DError.shapeMismatch(
        node: check.node, value: check.inputNames[1], expected: a.description,
        actual: "\(b.description): The size of tensor a (\(a.channels)) must match the size of tensor b (\(b.channels)) at non-singleton dimension 1")
    }
    return ValueKind(channels: max(a.channels, b.channels), isSequence: a.isSequence, isFixedLength: a.isFixedLength && b.isFixedLength)
  }

  func outputShape(_ infer: ShapeCheck) throws -> ValueShape {
    let (a, b) = (infer.inputs[0], infer.inputs[1])
    guard let la = a.length, let lb = b.length else { return ValueShape(channels: max(a.channels, b.channels), length: nil) }
    // Two time-varying values broadcast only when their lengths agree: a length of 1 there means a
    // degenerate input, not a value meant to be spread over time, and a conv epilogue could not honour it.
    let bothFollowInput = !infer.kinds[0].isFixedLength && !infer.kinds[1].isFixedLength
    guard la == lb || (!bothFollowInput && (la == 1 || lb == 1)) else {
      throw C1DError.shapeMismatch(
        node: infer.node, value: infer.inputNames[1], expected: "length \(la)",
        actual: "length \(lb): The size of tensor a (\(la)) must match the size of tensor b (\(lb)) at non-singleton dimension 2")
    }
    return ValueShape(channels: max(a.channels, b.channels), length: max(la, lb))
  }

  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * 2 }

  func makeKernel(_ parameters: KernelParameters) -> any OpKernel { BroadcastBinaryKernel(operation: Self.operation) }
}

struct AddOp: BroadcastBinaryOp {
  static let name = "add"
  static let minorVersion = 0
  static let operation = C1D_BINARY_ADD
}

struct MulOp: BroadcastBinaryOp {
  static let name = "mul"
  static let minorVersion = 0
  static let operation = C1D_BINARY_MUL
}

struct SubOp: BroadcastBinaryOp {
  static let name = "sub"
  static let operation = C1D_BINARY_SUB
}

struct DivOp: BroadcastBinaryOp {
  static let name = "div"
  static let operation = C1D_BINARY_DIV
}

struct PowOp: BroadcastBinaryOp {
  static let name = "pow"
  static let operation = C1D_BINARY_POW
}

struct MaximumOp: BroadcastBinaryOp {
  static let name = "maximum"
  static let operation = C1D_BINARY_MAXIMUM
}

struct MinimumOp: BroadcastBinaryOp {
  static let name = "minimum"
  static let operation = C1D_BINARY_MINIMUM
}

extension Op {
  /// Element-wise sum, broadcasting as PyTorch does.
  public static var add: Op { Op(AddOp()) }
  /// Element-wise product, broadcasting as PyTorch does.
  public static var mul: Op { Op(MulOp()) }
  public static var sub: Op { Op(SubOp()) }
  public static var div: Op { Op(DivOp()) }
  public static var pow: Op { Op(PowOp()) }
  public static var maximum: Op { Op(MaximumOp()) }
  public static var minimum: Op { Op(MinimumOp()) }
}

/// Runs a broadcasting binary op row by row; equal shapes take the vectorised `c1d_binary` path for
/// add and mul, in place.
struct BroadcastBinaryKernel: OpKernel {
  let operation: c1d_binary_op

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let (a, b) = (inputs[0], inputs[1])
    let batch = max(a.batch, b.batch)
    if a.shape == b.shape, a.batch == b.batch, operation == C1D_BINARY_ADD || operation == C1D_BINARY_MUL {
      var y = inputs[0].takeData()
      b.data.withUnsafeBufferPointer { bb in
        y.withUnsafeMutableBufferPointer { yb in
          context.kernels.binary(operation == C1D_BINARY_MUL ? 1 : 0, yb.baseAddress!, bb.baseAddress!, yb.count)
        }
      }
      return Activation(shape: output, batch: batch, data: y)
    }
    let length = output.length ?? 1
    let y = [Float].uninitialized(count: batch * output.elementCount) { yb in
      a.data.withUnsafeBufferPointer { ab in
        b.data.withUnsafeBufferPointer { bb in
          for n in 0..<batch {
            for c in 0..<output.channels {
              c1d_binary_row(
                Int32(operation.rawValue), ab.baseAddress! + Self.rowStart(a, n, c), Self.timeStride(a),
                bb.baseAddress! + Self.rowStart(b, n, c), Self.timeStride(b),
                yb.baseAddress! + (n * output.channels + c) * length, length)
            }
          }
        }
      }
    }
    return Activation(shape: output, batch: batch, data: y)
  }

  /// Where row (n, c) of the broadcast output reads `x`: a dimension of size 1 always reads index 0.
  static func rowStart(_ x: Activation, _ n: Int, _ c: Int) -> Int {
    let length = x.shape.length ?? 1
    return (x.batch == 1 ? 0 : n) * x.shape.channels * length + (x.shape.channels == 1 ? 0 : c) * length
  }

  static func timeStride(_ x: Activation) -> Int { (x.shape.length ?? 1) == 1 ? 0 : 1 }
}
