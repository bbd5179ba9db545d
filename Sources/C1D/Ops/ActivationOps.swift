import CC1DKernels

/// `approximate` of `torch.nn.GELU`.
public enum GELUApproximation: String, Sendable, Hashable, CaseIterable {
  case none, tanh
}

/// The activations computed by `c1d_activation`: one family, since they differ only in the C kernel they
/// name and their one parameter. Each can run as a convolution's epilogue.
protocol ActivationOp: OpDefinition {
  var function: ActivationFunction { get }
  /// Floating-point operations per element.
  static var flopsPerElement: Int { get }
}

extension ActivationOp {
  func outputKind(_ check: NodeCheck) throws -> ValueKind { try check.unaryElementwise() }
  func flops(inputs: [ValueShape], output: ValueShape) -> Int { output.elementCount * Self.flopsPerElement }
  func makeKernel(_ parameters: KernelParameters) -> any OpKernel {
    ActivationKernel(kind: function.kind, parameter: function.parameter)
  }
  var activationFunction: ActivationFunction? { function }
  static var flopsPerElement: Int { 8 }
}

/// An activation without attributes.
protocol PlainActivationOp: ActivationOp {
  init()
  static var kind: Int32 { get }
}

extension PlainActivationOp {
  init(attributes: FieldReader, node: String) throws { self.init() }
  var function: ActivationFunction { ActivationFunction(kind: Self.kind, parameter: 0) }
}

struct ReLUOp: PlainActivationOp {
  static let name = "relu"
  static let kind = Int32(C1D_ACT_RELU)
  static let flopsPerElement = 2
}

struct SiLUOp: PlainActivationOp {
  static let name = "silu"
  static let kind = Int32(C1D_ACT_SILU)
}

struct TanhOp: PlainActivationOp {
  static let name = "tanh"
  static let kind = Int32(C1D_ACT_TANH)
}

struct SigmoidOp: PlainActivationOp {
  static let name = "sigmoid"
  static let kind = Int32(C1D_ACT_SIGMOID)
}

struct LeakyReLUOp: ActivationOp {
  static let name = "leaky_relu"
  static let flopsPerElement = 2
  var negativeSlope: Double

  init(negativeSlope: Double) { self.negativeSlope = negativeSlope }
  init(attributes a: FieldReader, node: String) throws {
    negativeSlope = try a.double("negative_slope", default: 0.01)
  }
  var attributes: [String: JSONValue] { ["negative_slope": .double(negativeSlope)] }
  var function: ActivationFunction { ActivationFunction(kind: Int32(C1D_ACT_LEAKY_RELU), parameter: Float(negativeSlope)) }
  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try check.finite(negativeSlope, "negative_slope")
    return try check.unaryElementwise()
  }
  var summary: String { "slope \(negativeSlope)" }
}

struct ELUOp: ActivationOp {
  static let name = "elu"
  var alpha: Double

  init(alpha: Double) { self.alpha = alpha }
  init(attributes a: FieldReader, node: String) throws { alpha = try a.double("alpha", default: 1) }
  var attributes: [String: JSONValue] { ["alpha": .double(alpha)] }
  var function: ActivationFunction { ActivationFunction(kind: Int32(C1D_ACT_ELU), parameter: Float(alpha)) }
  func outputKind(_ check: NodeCheck) throws -> ValueKind {
    try check.finite(alpha, "alpha")
    return try check.unaryElementwise()
  }
  var summary: String { "alpha \(alpha)" }
}

struct GELUOp: ActivationOp {
  static let name = "gelu"
  var approximate: GELUApproximation

  init(approximate: GELUApproximation) { self.approximate = approximate }
  init(attributes a: FieldReader, node: String) throws {
    approximate = try a.enumeration("approximate", default: GELUApproximation.none)
  }
  var attributes: [String: JSONValue] { ["approximate": .string(approximate.rawValue)] }
  var function: ActivationFunction {
    ActivationFunction(kind: Int32(approximate == .tanh ? C1D_ACT_GELU_TANH : C1D_ACT_GELU_ERF), parameter: 0)
  }
  var summary: String { approximate == .tanh ? "tanh" : "" }
}

extension Op {
  public static var relu: Op { Op(ReLUOp()) }
  public static var silu: Op { Op(SiLUOp()) }
  public static var tanh: Op { Op(TanhOp()) }
  public static var sigmoid: Op { Op(SigmoidOp()) }
  public static func leakyRelu(negativeSlope: Double = 0.01) -> Op { Op(LeakyReLUOp(negativeSlope: negativeSlope)) }
  public static func elu(alpha: Double = 1) -> Op { Op(ELUOp(alpha: alpha)) }
  public static func gelu(_ approximate: GELUApproximation = .none) -> Op { Op(GELUOp(approximate: approximate)) }
}
