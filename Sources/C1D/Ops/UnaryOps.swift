import CC1DKernels

/// Element-wise math of format 1.1 (`c1d_unary`): one family, since the ops differ only in the C
/// function they name and its two parameters.
protocol UnaryMathOp: OpDefinition {
  static var operation: c1d_unary_op { get }
  /// The C function's two parameters.
  var parameters: (Float, Float) { get }
}

extension UnaryMathOp {
  static var minorVersion: Int { 1 }
  var parameters: (Float, Float) { (0, 0) }
  func outputKind(_ check: NodeCheck) throws -> ValueKind { try check.unaryElementwise() }
  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * 4 }
  func makeKernel(_ parameters: KernelParameters) -> any OpKernel {
    UnaryKernel(operation: Self.operation, parameters: self.parameters)
  }
}

/// A unary op without attributes.
protocol PlainUnaryMathOp: UnaryMathOp { init() }

extension PlainUnaryMathOp {
  init(attributes: FieldReader, node: String) throws { self.init() }
}

struct AbsOp: PlainUnaryMathOp { static let name = "abs"; static let operation = C1D_UNARY_ABS }
struct NegOp: PlainUnaryMathOp { static let name = "neg"; static let operation = C1D_UNARY_NEG }
struct ExpOp: PlainUnaryMathOp { static let name = "exp"; static let operation = C1D_UNARY_EXP }
struct LogOp: PlainUnaryMathOp { static let name = "log"; static let operation = C1D_UNARY_LOG }
struct SqrtOp: PlainUnaryMathOp { static let name = "sqrt"; static let operation = C1D_UNARY_SQRT }
struct RsqrtOp: PlainUnaryMathOp { static let name = "rsqrt"; static let operation = C1D_UNARY_RSQRT }
struct SquareOp: PlainUnaryMathOp { static let name = "square"; static let operation = C1D_UNARY_SQUARE }
struct ReciprocalOp: PlainUnaryMathOp { static let name = "reciprocal"; static let operation = C1D_UNARY_RECIPROCAL }
struct SinOp: PlainUnaryMathOp { static let name = "sin"; static let operation = C1D_UNARY_SIN }
struct CosOp: PlainUnaryMathOp { static let name = "cos"; static let operation = C1D_UNARY_COS }
struct MishOp: PlainUnaryMathOp { static let name = "mish"; static let operation = C1D_UNARY_MISH }
struct HardswishOp: PlainUnaryMathOp { static let name = "hardswish"; static let operation = C1D_UNARY_HARDSWISH }
struct HardsigmoidOp: PlainUnaryMathOp { static let name = "hardsigmoid"; static let operation = C1D_UNARY_HARDSIGMOID }

/// `torch.clamp(x, min, max)`: also `nn.Hardtanh` (−1, 1) and `nn.ReLU6` (0, 6).
struct ClampOp: UnaryMathOp {
  static let name = "clamp"
  static let operation = C1D_UNARY_CLAMP
  var min: Double?
  var max: Double?

  init(min: Double?, max: Double?) {
    self.min = min
    self.max = max
  }

  init(attributes a: FieldReader, node: String) throws {
    self.init(min: try a.optionalDouble("min"), max: try a.optionalDouble("max"))
  }

  var attributes: [String: JSONValue] { ["min": min.map(JSONValue.double) ?? .null, "max": max.map(JSONValue.double) ?? .null] }
  var parameters: (Float, Float) { (min.map(Float.init) ?? -.infinity, max.map(Float.init) ?? .infinity) }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    guard min != nil || max != nil else { throw check.fail("torch.clamp: At least one of 'min' or 'max' must not be None") }
    for bound in [min, max].compactMap({ $0 }) where bound.isNaN { throw check.fail("clamp bounds must not be NaN") }
    return try check.unaryElementwise()
  }

  var summary: String { "[\(min.map { "\($0)" } ?? "-inf"), \(max.map { "\($0)" } ?? "inf")]" }
}

/// `nn.Softplus(beta, threshold)`.
struct SoftplusOp: UnaryMathOp {
  static let name = "softplus"
  static let operation = C1D_UNARY_SOFTPLUS
  var beta: Double
  var threshold: Double

  init(beta: Double = 1, threshold: Double = 20) {
    self.beta = beta
    self.threshold = threshold
  }

  init(attributes a: FieldReader, node: String) throws {
    self.init(beta: try a.double("beta", default: 1), threshold: try a.double("threshold", default: 20))
  }

  var attributes: [String: JSONValue] { ["beta": .double(beta), "threshold": .double(threshold)] }
  var parameters: (Float, Float) { (Float(beta), Float(threshold)) }

  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try check.finite(beta, "beta")
    try check.finite(threshold, "threshold")
    guard beta != 0 else { throw check.fail("softplus beta must not be 0") }
    return try check.unaryElementwise()
  }

  var summary: String { "beta \(beta) threshold \(threshold)" }
}

extension Op {
  public static var abs: Op { Op(AbsOp()) }
  public static var neg: Op { Op(NegOp()) }
  public static var exp: Op { Op(ExpOp()) }
  public static var log: Op { Op(LogOp()) }
  public static var sqrt: Op { Op(SqrtOp()) }
  public static var rsqrt: Op { Op(RsqrtOp()) }
  public static var square: Op { Op(SquareOp()) }
  public static var reciprocal: Op { Op(ReciprocalOp()) }
  public static var sin: Op { Op(SinOp()) }
  public static var cos: Op { Op(CosOp()) }
  public static var mish: Op { Op(MishOp()) }
  public static var hardswish: Op { Op(HardswishOp()) }
  public static var hardsigmoid: Op { Op(HardsigmoidOp()) }
  public static func clamp(min: Double? = nil, max: Double? = nil) -> Op { Op(ClampOp(min: min, max: max)) }
  public static func softplus(beta: Double = 1, threshold: Double = 20) -> Op { Op(SoftplusOp(beta: beta, threshold: threshold)) }
}

/// Applies a `c1d_unary` function in place, in parallel chunks.
struct UnaryKernel: OpKernel {
  let operation: c1d_unary_op
  let parameters: (Float, Float)
  static let chunk = 1 << 13

  func run(_ inputs: consuming [Activation], output: ValueShape, context: ExecutionContext) -> Activation {
    let batch = inputs[0].batch
    var y = inputs[0].takeData()
    let (p0, p1) = parameters
    let operation = Int32(operation.rawValue)
    y.withUnsafeMutableBufferPointer { v in
      let base = SharedPointer(base: v.baseAddress!)
      let count = v.count
      Parallel.forEach((count + Self.chunk - 1) / Self.chunk, threads: context.threads) { chunk in
        let start = chunk * Self.chunk
        c1d_unary(operation, base.base + start, min(Self.chunk, count - start), p0, p1)
      }
    }
    return Activation(shape: output, batch: batch, data: y)
  }
}
