/// `padding` of a convolution, as PyTorch takes it: a count on both sides, `'valid'` or `'same'`.
public enum Padding: Sendable, Hashable {
  case explicit(Int)
  /// No padding; the same as `.explicit(0)` but kept as written.
  case valid
  /// Output length equals input length (stride 1 only); for an even effective kernel the extra
  /// element goes on the right, as PyTorch splits it.
  case same
}

/// `padding_mode` of a convolution.
public enum PaddingMode: String, Sendable, Hashable, CaseIterable {
  case zeros, reflect, replicate, circular
}

/// The hyperparameters of `torch.nn.Conv1d`, with its defaults.
public struct Conv1dAttributes: Sendable, Hashable {
  public var inChannels: Int
  public var outChannels: Int
  public var kernelSize: Int
  public var stride: Int
  public var padding: Padding
  public var dilation: Int
  public var groups: Int
  public var bias: Bool
  public var paddingMode: PaddingMode

  public init(
    inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .explicit(0),
    dilation: Int = 1, groups: Int = 1, bias: Bool = true, paddingMode: PaddingMode = .zeros
  ) {
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernelSize = kernelSize
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.groups = groups
    self.bias = bias
    self.paddingMode = paddingMode
  }

  /// `dilation · (kernel_size − 1) + 1`: the span of input one output element sees.
  public var effectiveKernel: Int { dilation * (kernelSize - 1) + 1 }

  /// Left and right padding as PyTorch applies them (for `'same'`, the extra element on the right).
  public var padAmounts: (left: Int, right: Int) {
    switch padding {
    case .explicit(let p): (p, p)
    case .valid: (0, 0)
    case .same:
      ((effectiveKernel - 1) / 2, (effectiveKernel - 1) - (effectiveKernel - 1) / 2)
    }
  }
}

/// Padding mode of the stand-alone `pad` op (`torch.nn.functional.pad`).
public enum PadMode: String, Sendable, Hashable, CaseIterable {
  case constant, reflect, replicate, circular
}

/// `F.pad(x, (left, right), mode, value)` along time; asymmetric for causal convolutions.
public struct PadAttributes: Sendable, Hashable {
  public var left: Int
  public var right: Int
  public var mode: PadMode
  public var value: Double

  public init(left: Int, right: Int, mode: PadMode = .constant, value: Double = 0) {
    self.left = left
    self.right = right
    self.mode = mode
    self.value = value
  }
}

/// `x[:, :, start:stop]` with Python's meaning of negative and absent bounds (a TCN's chomp).
public struct SliceAttributes: Sendable, Hashable {
  public var start: Int
  public var stop: Int?

  public init(start: Int = 0, stop: Int? = nil) {
    self.start = start
    self.stop = stop
  }

  /// The half-open range it selects from a sequence of `length`, clamped as Python clamps.
  public func range(forLength length: Int) -> Range<Int> {
    func resolve(_ bound: Int) -> Int { bound < 0 ? max(0, length + bound) : min(bound, length) }
    let lower = resolve(start)
    let upper = stop.map(resolve) ?? length
    return lower..<max(lower, upper)
  }
}

/// `approximate` of `torch.nn.GELU`.
public enum GELUApproximation: String, Sendable, Hashable, CaseIterable {
  case none, tanh
}

/// Hyperparameters of `MaxPool1d` and `AvgPool1d`.
public struct PoolAttributes: Sendable, Hashable {
  public var kernelSize: Int
  public var stride: Int
  public var padding: Int
  /// Max pooling only; 1 for average pooling.
  public var dilation: Int
  public var ceilMode: Bool
  /// Average pooling only.
  public var countIncludePad: Bool

  public init(
    kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false,
    countIncludePad: Bool = true
  ) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
    self.dilation = dilation
    self.ceilMode = ceilMode
    self.countIncludePad = countIncludePad
  }
}

/// Hyperparameters of `BatchNorm1d` (groups 1), `GroupNorm`, and layer norm over channels (groups 1).
public struct NormAttributes: Sendable, Hashable {
  public var channels: Int
  public var groups: Int
  public var eps: Double
  public var affine: Bool

  public init(channels: Int, groups: Int = 1, eps: Double = 1e-5, affine: Bool = true) {
    self.channels = channels
    self.groups = groups
    self.eps = eps
    self.affine = affine
  }
}

/// Hyperparameters of `torch.nn.Linear`.
public struct LinearAttributes: Sendable, Hashable {
  public var inFeatures: Int
  public var outFeatures: Int
  public var bias: Bool

  public init(inFeatures: Int, outFeatures: Int, bias: Bool = true) {
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    self.bias = bias
  }
}

/// What a node computes. Values flow as `(N, C, L)` sequences, or `(N, F)` features after `flatten`.
public enum Op: Sendable, Hashable {
  case conv1d(Conv1dAttributes)
  case pad(PadAttributes)
  case slice(SliceAttributes)
  case relu
  case leakyRelu(negativeSlope: Double)
  /// `nn.PReLU(num_parameters)`: 1 shared slope or one per channel.
  case prelu(numParameters: Int)
  case elu(alpha: Double)
  case gelu(GELUApproximation)
  case silu
  case tanh
  case sigmoid
  /// Element-wise sum of two values of the same shape.
  case add
  /// Element-wise product of two values of the same shape.
  case mul
  /// Concatenation of two or more values along channels.
  case concat
  /// Inference-mode `BatchNorm1d` with running statistics.
  case batchNorm(NormAttributes)
  case groupNorm(NormAttributes)
  /// `LayerNorm(C)` applied over the channels at each time step.
  case layerNorm(NormAttributes)
  case maxPool1d(PoolAttributes)
  case avgPool1d(PoolAttributes)
  /// `AdaptiveAvgPool1d(1)`: `(N, C, L)` to `(N, C, 1)`.
  case globalAvgPool1d
  /// `(N, C, L)` to `(N, C · L)`.
  case flatten
  /// `nn.Linear` on `(N, F)` features.
  case linear(LinearAttributes)

  /// The op's name in the file.
  public var name: String {
    switch self {
    case .conv1d: "conv1d"
    case .pad: "pad"
    case .slice: "slice"
    case .relu: "relu"
    case .leakyRelu: "leaky_relu"
    case .prelu: "prelu"
    case .elu: "elu"
    case .gelu: "gelu"
    case .silu: "silu"
    case .tanh: "tanh"
    case .sigmoid: "sigmoid"
    case .add: "add"
    case .mul: "mul"
    case .concat: "concat"
    case .batchNorm: "batch_norm"
    case .groupNorm: "group_norm"
    case .layerNorm: "layer_norm"
    case .maxPool1d: "max_pool1d"
    case .avgPool1d: "avg_pool1d"
    case .globalAvgPool1d: "global_avg_pool1d"
    case .flatten: "flatten"
    case .linear: "linear"
    }
  }

  /// Every op name this version reads.
  public static let allNames = [
    "conv1d", "pad", "slice", "relu", "leaky_relu", "prelu", "elu", "gelu", "silu", "tanh", "sigmoid", "add",
    "mul", "concat", "batch_norm", "group_norm", "layer_norm", "max_pool1d", "avg_pool1d", "global_avg_pool1d",
    "flatten", "linear",
  ]
}

/// One step of the graph: an op applied to named input values, producing one named output value.
public struct Node: Sendable, Hashable {
  public var name: String
  public var op: Op
  public var inputs: [String]
  public var outputs: [String]
  /// Parameter role (`weight`, `bias`, `running_mean`, …) to tensor name.
  public var parameters: [String: String]

  public init(name: String, op: Op, inputs: [String], outputs: [String], parameters: [String: String] = [:]) {
    self.name = name
    self.op = op
    self.inputs = inputs
    self.outputs = outputs
    self.parameters = parameters
  }
}

/// A named input of the graph: `(N, channels, length)`.
public struct GraphInput: Sendable, Hashable {
  public var name: String
  public var channels: Int
  /// A fixed length the model is meant for, if it has one.
  public var length: Int?
  /// Samples per second of the signal, for audio and sensor models.
  public var sampleRate: Double?

  public init(name: String, channels: Int, length: Int? = nil, sampleRate: Double? = nil) {
    self.name = name
    self.channels = channels
    self.length = length
    self.sampleRate = sampleRate
  }
}

/// Nodes in topological order with the graph's named inputs and outputs.
public struct Graph: Sendable, Hashable {
  public var inputs: [GraphInput]
  public var outputs: [String]
  public var nodes: [Node]

  public init(inputs: [GraphInput], outputs: [String], nodes: [Node]) {
    self.inputs = inputs
    self.outputs = outputs
    self.nodes = nodes
  }
}
