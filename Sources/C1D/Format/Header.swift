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
            "attributes": .object(node.op.fileAttributes),
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

// MARK: - Decoding

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
      name: name, op: try OpRegistry.decode(op: op, attributes: attributes, node: name), inputs: inputs,
      outputs: outputs, parameters: parameters)
  }
}
