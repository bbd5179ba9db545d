/// Builds a graph in Swift code, node by node, and validates it into a `Model`.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// var builder = ModelBuilder(channels: 16)
/// let conv = try Conv1d(inChannels: 16, outChannels: 33, kernelSize: 3, stride: 2, using: &rng)
/// let y = builder.relu(builder.conv1d(conv, builder.input))
/// let model = try builder.build(outputs: [y])
/// ```
public struct ModelBuilder: Sendable {
  public private(set) var inputs: [GraphInput]
  private var nodes: [Node] = []
  private var weights: [String: Tensor] = [:]

  /// The name of the first graph input.
  public var input: String { inputs[0].name }

  /// - Parameters:
  ///   - name: the input's name.
  ///   - channels: `C_in`.
  ///   - length: a fixed input length, if the model has one.
  ///   - sampleRate: samples per second, for documentation.
  public init(input name: String = "input", channels: Int, length: Int? = nil, sampleRate: Double? = nil) {
    inputs = [GraphInput(name: name, channels: channels, length: length, sampleRate: sampleRate)]
  }

  /// Adds another graph input and returns its name.
  public mutating func addInput(_ name: String, channels: Int, length: Int? = nil) -> String {
    inputs.append(GraphInput(name: name, channels: channels, length: length))
    return name
  }

  /// Appends a node and returns the name of its output value.
  /// - Parameters:
  ///   - op: what the node computes.
  ///   - inputs: names of the values it reads.
  ///   - parameters: its parameter tensors by role (`weight`, `bias`, `running_mean`, …).
  ///   - name: the node's name; by default the op's name and its index.
  @discardableResult
  public mutating func add(_ op: Op, _ inputs: [String], parameters: [String: Tensor] = [:], name: String? = nil) -> String {
    let nodeName = name ?? "\(op.name)_\(nodes.count)"
    var roles: [String: String] = [:]
    for (role, tensor) in parameters {
      let tensorName = "\(nodeName).\(role)"
      roles[role] = tensorName
      weights[tensorName] = tensor
    }
    nodes.append(Node(name: nodeName, op: op, inputs: inputs, outputs: [nodeName], parameters: roles))
    return nodeName
  }

  public mutating func conv1d(_ layer: Conv1d, _ x: String, name: String? = nil) -> String {
    var parameters = ["weight": layer.weight]
    if let bias = layer.bias { parameters["bias"] = bias }
    return add(.conv1d(layer.attributes), [x], parameters: parameters, name: name)
  }

  public mutating func relu(_ x: String) -> String { add(.relu, [x]) }

  /// Applies a parameterless op (an activation, unary math, a pool, a shape op) to `x`.
  public mutating func apply(_ op: Op, _ x: String, name: String? = nil) -> String { add(op, [x], name: name) }

  /// A two-operand op (`.add`, `.sub`, `.mul`, `.div`, `.pow`, `.maximum`, `.minimum`, `.concat`).
  public mutating func combine(_ op: Op, _ a: String, _ b: String, name: String? = nil) -> String { add(op, [a, b], name: name) }

  /// A constant operand `(C, L)` or `(F)`, broadcast over the batch (for the broadcasting ops).
  public mutating func constant(_ value: Tensor, name: String? = nil) -> String {
    add(.constant, [], parameters: ["value": value], name: name)
  }

  /// Inference-mode `BatchNorm1d` with running statistics, affine when `weight` and `bias` are given.
  public mutating func batchNorm(
    _ x: String, mean: Tensor, variance: Tensor, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5, name: String? = nil
  ) -> String {
    var parameters = ["running_mean": mean, "running_var": variance]
    parameters["weight"] = weight
    parameters["bias"] = bias
    let attributes = NormAttributes(channels: mean.shape.first ?? 0, eps: eps, affine: weight != nil || bias != nil)
    return add(.batchNorm(attributes), [x], parameters: parameters, name: name)
  }

  /// `nn.PReLU` with one slope or one per channel.
  public mutating func prelu(_ x: String, slopes: Tensor, name: String? = nil) -> String {
    add(.prelu(numParameters: slopes.shape.first ?? 0), [x], parameters: ["weight": slopes], name: name)
  }

  /// `nn.Linear` on features: `weight` `(out, in)`, optional `bias` `(out)`.
  public mutating func linear(_ x: String, weight: Tensor, bias: Tensor? = nil, name: String? = nil) -> String {
    var parameters = ["weight": weight]
    parameters["bias"] = bias
    let shape = weight.shape + [0, 0]
    return add(.linear(LinearAttributes(inFeatures: shape[1], outFeatures: shape[0], bias: bias != nil)), [x], parameters: parameters, name: name)
  }

  /// Snake: `x + scale · sin²(alpha · x)` per channel.
  public mutating func snake(_ x: String, alpha: Tensor, scale: Tensor, name: String? = nil) -> String {
    add(.snake, [x], parameters: ["alpha": alpha, "scale": scale], name: name)
  }

  /// Validates the graph and plans it.
  /// - Throws: `C1DError` for the first inconsistency.
  public func build(outputs: [String], metadata: Metadata = Metadata(producer: "c1d-swift")) throws -> Model {
    try Model(graph: Graph(inputs: inputs, outputs: outputs, nodes: nodes), weights: weights, metadata: metadata)
  }
}
