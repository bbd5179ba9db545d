/// What a node computes: one op and its attributes. Each op's rules live in its definition
/// (`Ops/<Name>.swift`); build ops with the static functions those files add (`.conv1d(…)`, `.relu`),
/// and read their attributes with `attributes(as:)`.
public struct Op: Sendable, Hashable, CustomStringConvertible {
  let definition: any OpDefinition

  init(_ definition: any OpDefinition) { self.definition = definition }

  /// The op's name in the file.
  public var name: String { type(of: definition).name }

  /// The op's attributes as its definition's value type (`Conv1dAttributes`, `PoolAttributes`, …), or nil
  /// when the op is of another type.
  public func attributes<A>(as type: A.Type) -> A? {
    definition as? A ?? definition.publicAttributes as? A
  }

  /// The attributes as written in the file, defaults included.
  var fileAttributes: [String: JSONValue] { definition.attributes }

  /// The attributes as written in the file, defaults included, as canonical JSON text
  /// (`{"kernel_size":3,…}`).
  public var attributesJSON: String { String(decoding: JSONValue.canonicalBytes(.object(definition.attributes)), as: UTF8.self) }

  /// The hyperparameters in a few words (`k3 s2 p1`), empty when the op has none.
  public var summary: String { definition.summary }

  /// How an output frame depends on the input frames.
  public var timeLocality: TimeLocality { definition.timeLocality }

  public var description: String { summary.isEmpty ? name : "\(name) \(summary)" }

  /// Every op name this version reads.
  public static var allNames: [String] { OpRegistry.names }

  public static func == (lhs: Op, rhs: Op) -> Bool { AnyHashable(lhs.definition) == AnyHashable(rhs.definition) }
  public func hash(into hasher: inout Hasher) { hasher.combine(AnyHashable(definition)) }
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
