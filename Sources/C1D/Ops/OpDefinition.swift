/// Everything the library knows about one op, in one place: how its attributes are read and written,
/// what it checks, the shape it produces, its cost, which input frames it reads, and the kernel it plans to.
///
/// Each op's definition lives in its own file under `Ops/` and is listed once in `OpRegistry`. Header
/// decoding, validation, shape inference, inspection and planning ask the definition; nothing outside an
/// op's file switches over ops.
protocol OpDefinition: Sendable, Hashable {
  /// The op's name in the file.
  static var name: String { get }

  /// The format's minor version that introduced the op: files using it are written as 1.`minorVersion`.
  static var minorVersion: Int { get }

  /// Reads the attributes as written in the file, filling PyTorch's defaults.
  /// - Parameter node: the node's name, for errors.
  init(attributes: FieldReader, node: String) throws

  /// The attributes as written in the file: every attribute, defaults included.
  var attributes: [String: JSONValue] { get }

  /// Checks hyperparameters, arity and parameter shapes, and gives the kind of the output: everything
  /// that does not depend on the input length.
  func outputKind(_ check: NodeCheck) throws -> ValueKind

  /// The per-sample output shape for the given input shapes, or PyTorch's error when it would be empty.
  func outputShape(_ infer: ShapeCheck) throws -> ValueShape

  /// Floating-point operations per sample (a multiply-add counts 2).
  func flops(inputs: [ValueShape], output: ValueShape) -> Int

  /// Which input frames an output frame reads: what streaming and time tiling build on.
  var timeLocality: TimeLocality { get }

  /// The kernel that computes the op, with its parameters prepared once.
  func makeKernel(_ parameters: KernelParameters) -> any OpKernel

  /// The hyperparameters in a few words, for `convrun inspect` (empty when there are none).
  var summary: String { get }

  /// The activation's C kernel when the op is one that can run as a convolution's epilogue.
  var activationFunction: ActivationFunction? { get }

  /// Whether the op may read a `constant` (one sample, broadcast over the batch).
  var acceptsConstantOperands: Bool { get }

  /// The op with its window's padding removed, which a stream applies itself frame by frame; nil when its
  /// window has no such form.
  var unpadded: Op? { get }

  /// The public attribute type the definition wraps, shared with other ops (`NormAttributes`,
  /// `PoolAttributes`), so that `Op.attributes(as:)` finds it; nil for a definition that is its own.
  /// A requirement, not a protocol to cast to: a cast to an existential searches the process's
  /// conformance records for each op type, a cold-start cost of every load.
  var publicAttributes: (any Sendable)? { get }
}

extension OpDefinition {
  static var minorVersion: Int { 0 }
  var attributes: [String: JSONValue] { [:] }
  var summary: String { "" }
  var activationFunction: ActivationFunction? { nil }
  var acceptsConstantOperands: Bool { false }
  var unpadded: Op? { nil }
  var publicAttributes: (any Sendable)? { nil }

  /// Most ops keep the shape of their first input.
  func outputShape(_ infer: ShapeCheck) throws -> ValueShape { infer.inputs[0] }

  func flops(inputs: [ValueShape], output: ValueShape) -> Int { 0 }

  var timeLocality: TimeLocality { .pointwise }
}

/// An activation computed by `c1d_activation` (a `C1D_ACT_*` kind and its one parameter).
struct ActivationFunction: Sendable, Hashable {
  var kind: Int32
  var parameter: Float
}

/// The parameter tensors of a node being planned, by role.
struct KernelParameters: Sendable {
  /// Tensor names by role.
  let names: [String: String]
  let store: WeightStore

  /// The tensor for `role`, decoded now (a loaded model keeps no decoded copy); validation has established
  /// that required roles are present.
  func callAsFunction(_ role: String) -> Tensor? {
    names[role].map { Tensor(uncheckedShape: store.shapes[$0]!, values: store.values($0)) }
  }

  /// A tensor's values, or `count` zeros when the role is absent (an optional bias).
  func values(_ role: String, orZeros count: Int) -> [Float] {
    names[role].map(store.values) ?? [Float](repeating: 0, count: count)
  }

  /// The tensor for `role`, to decode later: where the kernel that packs it is made.
  func deferred(_ role: String) -> DeferredValues? {
    names[role].map { DeferredValues(name: $0, store: store) }
  }
}

/// A parameter tensor's values, decoded when `load()` is called.
struct DeferredValues: Sendable {
  let name: String
  let store: WeightStore

  func load() -> [Float] { store.values(name) }
}

/// For an output window, which input window an op reads: the basis of streaming and time tiling.
public enum TimeLocality: Sendable, Hashable {
  /// Output frame `t` reads input frame `t` of every input only.
  case pointwise
  /// Output frame `t` reads frames `[t·stride − padLeft, t·stride − padLeft + span)` of its input; frames
  /// outside the input come from the padding (`padding` says how). Negative padding crops (a slice).
  case window(TimeWindow)
  /// Output frame `t` reads the input frames `j` whose scatter `[j·factor − cropLeft, j·factor − cropLeft +
  /// span)` holds `t` (a transposed convolution): `factor` output frames per input frame, so no `.window`
  /// (whose stride is an integer count of input frames per output frame) can say it.
  case upsampling(TimeUpsampling)
  /// The time axis collapses to one frame (a global pool); streams by accumulating until the end.
  case reduction
  /// The op works on features `(N, F)`, after the time axis is gone.
  case features
  /// The output depends on the whole time axis; `reason` says why (statistics over time, wrap-around).
  case wholeAxis(reason: String)
}

/// The input frames a windowed op reads for each output frame.
public struct TimeWindow: Sendable, Hashable {
  /// Input frames one output frame sees: `dilation · (kernel − 1) + 1`.
  public var span: Int
  public var stride: Int
  public var padLeft: Int
  public var padRight: Int
  /// How frames outside the input read: `"zeros"`, `"constant"` (`value`), `"reflect"`, `"replicate"`,
  /// `"-inf"` (a max pool's padding, which never wins), `"counted"` or `"excluded"` (an average pool's
  /// zero padding, counted in the divisor or left out of it). None needs more than a bounded look-ahead
  /// at either end.
  public var padding: String
  /// The fill of `"constant"` padding.
  public var value: Double
  /// PyTorch's `ceil_mode`: a last window may start in the right padding and run past it; how many
  /// windows there are depends on the total length, known at the end. Frames past the padding count for
  /// nothing (they never win a max, and are not in an average's divisor).
  public var ceilMode: Bool

  public init(
    span: Int, stride: Int = 1, padLeft: Int = 0, padRight: Int = 0, padding: String = "zeros", value: Double = 0,
    ceilMode: Bool = false
  ) {
    self.span = span
    self.stride = stride
    self.padLeft = padLeft
    self.padRight = padRight
    self.padding = padding
    self.value = value
    self.ceilMode = ceilMode
  }
}

/// The frames an upsampling op (`conv_transpose1d`) writes per input frame.
///
/// Input frame `j` writes output frames `j·factor − cropLeft ..< j·factor − cropLeft + span`; output frame
/// `t` is the sum over every such `j` (none: the bias only), so it reads input frames
/// `⌈(t + cropLeft − span + 1) / factor⌉ … ⌊(t + cropLeft) / factor⌋` clipped to the input. The output is
/// the full scatter (length `(L − 1)·factor + span`) with `cropLeft` frames cut at the start and
/// `cropRight` at the end; a negative `cropRight` extends the end with frames no input frame writes (PyTorch's
/// `output_padding` beyond `padding`). Streaming: once input frame `j` has arrived, output frames below
/// `(j + 1)·factor − cropLeft` are final (later frames write only from there on).
public struct TimeUpsampling: Sendable, Hashable {
  /// Output frames per input frame: the stride.
  public var factor: Int
  /// Output frames one input frame writes: `dilation · (kernel − 1) + 1`.
  public var span: Int
  /// Frames of the full scatter dropped at the start: `padding`.
  public var cropLeft: Int
  /// Frames of the full scatter dropped at the end: `padding − output_padding` (negative: frames added).
  public var cropRight: Int

  public init(factor: Int, span: Int, cropLeft: Int = 0, cropRight: Int = 0) {
    self.factor = factor
    self.span = span
    self.cropLeft = cropLeft
    self.cropRight = cropRight
  }
}
