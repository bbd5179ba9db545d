/// One row of the header's tensor table.
struct TensorEntry: Sendable, Hashable {
  var name: String
  var dtype: DType
  var shape: [Int]
  var codec: Codec
  var offset: Int
  var storedSize: Int
  var rawSize: Int
  var crc32: UInt32
}

/// The decoded header: everything but the tensor bytes.
struct Header: Sendable {
  var metadata: Metadata
  var graph: Graph
  var tensors: [TensorEntry]
}

// MARK: - Encoding

extension Header {
  func json() -> JSONValue {
    .object([
      "metadata": .object(metadata.entries.mapValues { value in
        switch value {
        case .string(let s): .object(["type": .string("string"), "value": .string(s)])
        case .int(let i): .object(["type": .string("int"), "value": .int(i)])
        case .float(let d): .object(["type": .string("float"), "value": .double(d)])
        case .bool(let b): .object(["type": .string("bool"), "value": .bool(b)])
        }
      }),
      "graph": .object([
        "inputs": .array(graph.inputs.map { input in
          var members: [String: JSONValue] = ["name": .string(input.name), "channels": .int(Int64(input.channels))]
          members["length"] = input.length.map { .int(Int64($0)) } ?? .null
          members["sample_rate"] = input.sampleRate.map { .double($0) } ?? .null
          return .object(members)
        }),
        "outputs": .array(graph.outputs.map { .string($0) }),
        "nodes": .array(graph.nodes.map { node in
          .object([
            "name": .string(node.name),
            "op": .string(node.op.name),
            "inputs": .array(node.inputs.map { .string($0) }),
            "outputs": .array(node.outputs.map { .string($0) }),
            "attributes": .object(node.op.attributes),
            "params": .object(node.parameters.mapValues { .string($0) }),
          ])
        }),
      ]),
      "tensors": .array(tensors.map { t in
        .object([
          "name": .string(t.name),
          "dtype": .string(t.dtype.rawValue),
          "shape": .array(t.shape.map { .int(Int64($0)) }),
          "codec": .string(t.codec.rawValue),
          "offset": .int(Int64(t.offset)),
          "stored_size": .int(Int64(t.storedSize)),
          "raw_size": .int(Int64(t.rawSize)),
          "crc32": .int(Int64(t.crc32)),
        ])
      }),
    ])
  }
}

extension Op {
  /// The op's attributes as written in the file: every attribute, defaults included.
  var attributes: [String: JSONValue] {
    func int(_ v: Int) -> JSONValue { .int(Int64(v)) }
    switch self {
    case .conv1d(let a):
      let padding: JSONValue =
        switch a.padding {
        case .explicit(let p): int(p)
        case .valid: .string("valid")
        case .same: .string("same")
        }
      return [
        "in_channels": int(a.inChannels), "out_channels": int(a.outChannels), "kernel_size": int(a.kernelSize),
        "stride": int(a.stride), "padding": padding, "dilation": int(a.dilation), "groups": int(a.groups),
        "bias": .bool(a.bias), "padding_mode": .string(a.paddingMode.rawValue),
      ]
    case .pad(let a):
      return ["left": int(a.left), "right": int(a.right), "mode": .string(a.mode.rawValue), "value": .double(a.value)]
    case .slice(let a):
      return ["start": int(a.start), "stop": a.stop.map(int) ?? .null]
    case .leakyRelu(let slope):
      return ["negative_slope": .double(slope)]
    case .prelu(let count):
      return ["num_parameters": int(count)]
    case .elu(let alpha):
      return ["alpha": .double(alpha)]
    case .gelu(let approximate):
      return ["approximate": .string(approximate.rawValue)]
    case .batchNorm(let a):
      return ["num_features": int(a.channels), "eps": .double(a.eps), "affine": .bool(a.affine)]
    case .groupNorm(let a):
      return ["num_groups": int(a.groups), "num_channels": int(a.channels), "eps": .double(a.eps), "affine": .bool(a.affine)]
    case .layerNorm(let a):
      return ["num_channels": int(a.channels), "eps": .double(a.eps), "affine": .bool(a.affine)]
    case .maxPool1d(let a):
      return [
        "kernel_size": int(a.kernelSize), "stride": int(a.stride), "padding": int(a.padding),
        "dilation": int(a.dilation), "ceil_mode": .bool(a.ceilMode),
      ]
    case .avgPool1d(let a):
      return [
        "kernel_size": int(a.kernelSize), "stride": int(a.stride), "padding": int(a.padding),
        "ceil_mode": .bool(a.ceilMode), "count_include_pad": .bool(a.countIncludePad),
      ]
    case .linear(let a):
      return ["in_features": int(a.inFeatures), "out_features": int(a.outFeatures), "bias": .bool(a.bias)]
    case .relu, .silu, .tanh, .sigmoid, .add, .mul, .concat, .globalAvgPool1d, .flatten:
      return [:]
    }
  }
}

// MARK: - Decoding

/// Reads typed fields from a JSON object, naming the field's path in every error.
struct FieldReader {
  let path: String
  let members: [String: JSONValue]

  init(_ value: JSONValue, path: String) throws {
    guard case .object(let members) = value else {
      throw C1DError.invalidField(path: path.isEmpty ? "header" : path, expected: "an object", actual: value.typeName)
    }
    self.path = path
    self.members = members
  }

  func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  func value(_ key: String) throws -> JSONValue {
    guard let value = members[key] else {
      throw C1DError.invalidField(path: child(key), expected: "a value", actual: "nothing (missing)")
    }
    return value
  }

  func int(_ key: String, default fallback: Int? = nil) throws -> Int {
    guard let value = members[key], value != .null || fallback == nil else {
      if let fallback { return fallback }
      throw C1DError.invalidField(path: child(key), expected: "an integer", actual: "nothing (missing)")
    }
    guard case .int(let i) = value, let result = Int(exactly: i) else {
      throw C1DError.invalidField(path: child(key), expected: "an integer", actual: value.brief)
    }
    return result
  }

  func optionalInt(_ key: String) throws -> Int? {
    guard let value = members[key], value != .null else { return nil }
    return try int(key)
  }

  func double(_ key: String, default fallback: Double? = nil) throws -> Double {
    switch members[key] {
    case .double(let d): return d
    case .int(let i): return Double(i)
    case nil where fallback != nil: return fallback!
    case let other:
      throw C1DError.invalidField(path: child(key), expected: "a number", actual: other?.brief ?? "nothing (missing)")
    }
  }

  func optionalDouble(_ key: String) throws -> Double? {
    guard let value = members[key], value != .null else { return nil }
    return try double(key)
  }

  func bool(_ key: String, default fallback: Bool? = nil) throws -> Bool {
    switch members[key] {
    case .bool(let b): return b
    case nil where fallback != nil: return fallback!
    case let other:
      throw C1DError.invalidField(path: child(key), expected: "true or false", actual: other?.brief ?? "nothing (missing)")
    }
  }

  func string(_ key: String, default fallback: String? = nil) throws -> String {
    switch members[key] {
    case .string(let s): return s
    case nil where fallback != nil: return fallback!
    case let other:
      throw C1DError.invalidField(path: child(key), expected: "a string", actual: other?.brief ?? "nothing (missing)")
    }
  }

  func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, default fallback: E? = nil) throws -> E where E.RawValue == String {
    let raw = try string(key, default: fallback?.rawValue)
    guard let value = E(rawValue: raw) else {
      throw C1DError.unknownValue(path: child(key), value: raw, allowed: E.allCases.map(\.rawValue))
    }
    return value
  }

  func array(_ key: String, limit: Int) throws -> [JSONValue] {
    let value = try value(key)
    guard case .array(let items) = value else {
      throw C1DError.invalidField(path: child(key), expected: "an array", actual: value.typeName)
    }
    guard items.count <= limit else {
      throw C1DError.limitExceeded(what: "length of \(child(key))", limit: limit, actual: items.count)
    }
    return items
  }

  func strings(_ key: String, limit: Int) throws -> [String] {
    try array(key, limit: limit).enumerated().map { index, item in
      guard case .string(let s) = item else {
        throw C1DError.invalidField(path: "\(child(key))[\(index)]", expected: "a string", actual: item.typeName)
      }
      return s
    }
  }
}

extension Header {
  /// Decodes a parsed header, checking types and allowed values; cross-checks come later.
  init(json: JSONValue, limits: LoadLimits) throws {
    let root = try FieldReader(json, path: "")
    let metadataReader = try FieldReader(try root.value("metadata"), path: "metadata")
    var entries: [String: MetadataValue] = [:]
    for (key, value) in metadataReader.members {
      let entry = try FieldReader(value, path: "metadata.\(key)")
      let type = try entry.string("type")
      switch type {
      case "string": entries[key] = .string(try entry.string("value"))
      case "int": entries[key] = .int(Int64(try entry.int("value")))
      case "float": entries[key] = .float(try entry.double("value"))
      case "bool": entries[key] = .bool(try entry.bool("value"))
      default: throw C1DError.unknownValue(path: "metadata.\(key).type", value: type, allowed: ["string", "int", "float", "bool"])
      }
    }
    metadata = Metadata(entries: entries)

    let graphReader = try FieldReader(try root.value("graph"), path: "graph")
    let inputs = try graphReader.array("inputs", limit: limits.maxNodes).enumerated().map { index, item in
      let r = try FieldReader(item, path: "graph.inputs[\(index)]")
      return GraphInput(
        name: try r.string("name"), channels: try r.int("channels"), length: try r.optionalInt("length"),
        sampleRate: try r.optionalDouble("sample_rate"))
    }
    let outputs = try graphReader.strings("outputs", limit: limits.maxNodes)
    let nodes = try graphReader.array("nodes", limit: limits.maxNodes).enumerated().map { index, item in
      try Node(json: item, path: "graph.nodes[\(index)]", limits: limits)
    }
    graph = Graph(inputs: inputs, outputs: outputs, nodes: nodes)

    tensors = try root.array("tensors", limit: limits.maxTensors).enumerated().map { index, item in
      let r = try FieldReader(item, path: "tensors[\(index)]")
      let name = try r.string("name")
      let t = try FieldReader(item, path: "tensor '\(name)'")
      let shape = try t.array("shape", limit: limits.maxRank).enumerated().map { axis, dimension in
        guard case .int(let d) = dimension, d >= 0, d <= limits.maxDimension else {
          throw C1DError.invalidField(path: "tensor '\(name)'.shape[\(axis)]", expected: "an integer from 0 to \(limits.maxDimension)", actual: dimension.brief)
        }
        return Int(d)
      }
      let crc = try t.int("crc32")
      guard (0...Int(UInt32.max)).contains(crc) else {
        throw C1DError.invalidField(path: "tensor '\(name)'.crc32", expected: "an unsigned 32-bit integer", actual: "\(crc)")
      }
      let entry = TensorEntry(
        name: name, dtype: try t.enumeration("dtype"), shape: shape, codec: try t.enumeration("codec"),
        offset: try t.int("offset"), storedSize: try t.int("stored_size"), rawSize: try t.int("raw_size"),
        crc32: UInt32(crc))
      for (field, value) in [("offset", entry.offset), ("stored_size", entry.storedSize), ("raw_size", entry.rawSize)] where value < 0 {
        throw C1DError.invalidField(path: "tensor '\(name)'.\(field)", expected: "a non-negative integer", actual: "\(value)")
      }
      return entry
    }
  }
}

extension Node {
  init(json: JSONValue, path: String, limits: LoadLimits) throws {
    let r = try FieldReader(json, path: path)
    let name = try r.string("name")
    let nodePath = "node '\(name)'"
    let op = try r.string("op")
    let inputs = try FieldReader(json, path: nodePath).strings("inputs", limit: limits.maxNodes)
    let outputs = try FieldReader(json, path: nodePath).strings("outputs", limit: limits.maxNodes)
    let attributes = try FieldReader(r.members["attributes"] ?? .object([:]), path: "\(nodePath).attributes")
    let paramsReader = try FieldReader(r.members["params"] ?? .object([:]), path: "\(nodePath).params")
    var parameters: [String: String] = [:]
    for key in paramsReader.members.keys { parameters[key] = try paramsReader.string(key) }
    self.init(
      name: name, op: try Op(op: op, attributes: attributes, node: name), inputs: inputs,
      outputs: outputs, parameters: parameters)
  }
}

extension Op {
  init(op: String, attributes a: FieldReader, node: String) throws {
    switch op {
    case "conv1d":
      let padding: Padding
      switch a.members["padding"] {
      case .string("valid"): padding = .valid
      case .string("same"): padding = .same
      case .string(let other):
        throw C1DError.invalidHyperparameter(node: node, message: "Invalid padding string '\(other)', should be one of {'valid', 'same'}")
      default: padding = .explicit(try a.int("padding", default: 0))
      }
      let modeName = try a.string("padding_mode", default: "zeros")
      guard let mode = PaddingMode(rawValue: modeName) else {
        throw C1DError.invalidHyperparameter(node: node, message: "padding_mode must be one of ['zeros', 'reflect', 'replicate', 'circular'], but got padding_mode='\(modeName)'")
      }
      self = .conv1d(
        Conv1dAttributes(
          inChannels: try a.int("in_channels"), outChannels: try a.int("out_channels"),
          kernelSize: try a.int("kernel_size"), stride: try a.int("stride", default: 1), padding: padding,
          dilation: try a.int("dilation", default: 1), groups: try a.int("groups", default: 1),
          bias: try a.bool("bias", default: true), paddingMode: mode))
    case "pad":
      self = .pad(
        PadAttributes(
          left: try a.int("left"), right: try a.int("right"), mode: try a.enumeration("mode", default: PadMode.constant),
          value: try a.double("value", default: 0)))
    case "slice":
      self = .slice(SliceAttributes(start: try a.int("start", default: 0), stop: try a.optionalInt("stop")))
    case "relu": self = .relu
    case "leaky_relu": self = .leakyRelu(negativeSlope: try a.double("negative_slope", default: 0.01))
    case "prelu": self = .prelu(numParameters: try a.int("num_parameters", default: 1))
    case "elu": self = .elu(alpha: try a.double("alpha", default: 1))
    case "gelu": self = .gelu(try a.enumeration("approximate", default: GELUApproximation.none))
    case "silu": self = .silu
    case "tanh": self = .tanh
    case "sigmoid": self = .sigmoid
    case "add": self = .add
    case "mul": self = .mul
    case "concat": self = .concat
    case "batch_norm":
      self = .batchNorm(
        NormAttributes(channels: try a.int("num_features"), eps: try a.double("eps", default: 1e-5), affine: try a.bool("affine", default: true)))
    case "group_norm":
      self = .groupNorm(
        NormAttributes(
          channels: try a.int("num_channels"), groups: try a.int("num_groups"), eps: try a.double("eps", default: 1e-5),
          affine: try a.bool("affine", default: true)))
    case "layer_norm":
      self = .layerNorm(
        NormAttributes(channels: try a.int("num_channels"), eps: try a.double("eps", default: 1e-5), affine: try a.bool("affine", default: true)))
    case "max_pool1d", "avg_pool1d":
      let kernel = try a.int("kernel_size")
      let attributes = PoolAttributes(
        kernelSize: kernel, stride: try a.optionalInt("stride") ?? kernel, padding: try a.int("padding", default: 0),
        dilation: try a.int("dilation", default: 1), ceilMode: try a.bool("ceil_mode", default: false),
        countIncludePad: try a.bool("count_include_pad", default: true))
      self = op == "max_pool1d" ? .maxPool1d(attributes) : .avgPool1d(attributes)
    case "global_avg_pool1d": self = .globalAvgPool1d
    case "flatten": self = .flatten
    case "linear":
      self = .linear(
        LinearAttributes(inFeatures: try a.int("in_features"), outFeatures: try a.int("out_features"), bias: try a.bool("bias", default: true)))
    default:
      throw C1DError.unknownOp(node: node, op: op)
    }
  }
}
