import Foundation
import Testing

@testable import C1D

/// The JSON Schema is the one machine-readable statement of every op's attributes and defaults
/// (`tools/c1d/format.py` is held to it by `tools/tests/test_format.py`); these tests hold the Swift
/// op definitions to it.
@Suite("Op registry")
struct OpRegistryTests {
  /// Per op name, its attribute schemas (name → schema object) and its required attribute names.
  static let schemaOps: [String: (attributes: [String: JSONValue], required: [String])] = {
    let url = URL(fileURLWithPath: Fixtures.root).deletingLastPathComponent().appendingPathComponent("schema/header.schema.json")
    let schema = try! JSONParser.parse(Array(Data(contentsOf: url)))
    var ops: [String: (attributes: [String: JSONValue], required: [String])] = [:]
    for branch in schema["$defs"]["node"]["allOf"].items {
      guard case .string(let name) = branch["if"]["properties"]["op"]["const"] else { continue }
      let attributes = branch["then"]["properties"]["attributes"]
      let required = attributes["required"].items.compactMap { if case .string(let s) = $0 { s } else { nil } }
      guard case .object(let properties) = attributes["properties"] else { ops[name] = ([:], required); continue }
      ops[name] = (properties, required)
    }
    return ops
  }()

  @Test("the registry and the JSON Schema name the same ops")
  func sameOps() {
    // conv_transpose1d lands from its own branch; until then the schema names one op more.
    #expect(Set(Op.allNames).isSubset(of: Set(Self.schemaOps.keys)))
    #expect(Set(Self.schemaOps.keys).subtracting(Op.allNames).isSubset(of: ["conv_transpose1d"]))
    #expect(Op.allNames.count == Set(Op.allNames).count)
  }

  @Test("decoding only the required attributes fills the schema's defaults", arguments: Op.allNames)
  func defaultsAgree(op name: String) throws {
    let entry = try #require(Self.schemaOps[name])
    // A distinct value per required integer, so that a default that copies another attribute
    // (a pool's stride is its kernel size) is told apart from a constant.
    var given: [String: JSONValue] = [:]
    for (index, key) in entry.required.sorted().enumerated() { given[key] = Self.sample(entry.attributes[key], Int64(7 + index)) }
    let reader = try FieldReader(.object(given), path: "attributes")
    let op = try OpRegistry.decode(op: name, attributes: reader, node: "n")
    let encoded = op.fileAttributes
    #expect(Set(encoded.keys) == Set(entry.attributes.keys), "attributes of \(name)")
    for (key, schema) in entry.attributes where !entry.required.contains(key) {
      let value = try #require(encoded[key], "\(name).\(key)")
      guard case .object(let members) = schema, let expected = members["default"] else {
        Issue.record("\(name).\(key) has no default in the schema")
        continue
      }
      if expected == .null, name.hasSuffix("pool1d"), key == "stride" {
        #expect(value == given["kernel_size"], "\(name).stride defaults to kernel_size")
      } else {
        #expect(Self.sameNumber(value, expected), "\(name).\(key): \(value) vs the schema's \(expected)")
      }
    }
  }

  @Test("every op round-trips through its file attributes", arguments: Op.allNames)
  func roundTrip(op name: String) throws {
    let entry = try #require(Self.schemaOps[name])
    var given: [String: JSONValue] = [:]
    for key in entry.required { given[key] = Self.sample(entry.attributes[key], 3) }
    let op = try OpRegistry.decode(op: name, attributes: try FieldReader(.object(given), path: ""), node: "n")
    let again = try OpRegistry.decode(op: name, attributes: try FieldReader(.object(op.fileAttributes), path: ""), node: "n")
    #expect(again == op)
    #expect(again.name == name)
  }

  @Test("an unknown op is refused by name")
  func unknownOp() {
    #expect(throws: C1DError.unknownOp(node: "n", op: "lstm")) {
      try OpRegistry.decode(op: "lstm", attributes: try FieldReader(.object([:]), path: ""), node: "n")
    }
  }

  /// A value the attribute's schema allows: its first enumerated value, else `integer`.
  static func sample(_ schema: JSONValue?, _ integer: Int64) -> JSONValue {
    if case .array(let values) = schema?["enum"] ?? .null, let first = values.first { return first }
    return .int(integer)
  }

  /// Equal JSON values, an integer-valued float equal to its integer (the schema writes 0.0 as 0.0,
  /// JSON parsers may read it either way).
  static func sameNumber(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): Double(x) == y
    default: a == b
    }
  }
}

extension JSONValue {
  subscript(key: String) -> JSONValue {
    if case .object(let members) = self { members[key] ?? .null } else { .null }
  }

  var items: [JSONValue] {
    if case .array(let items) = self { items } else { [] }
  }
}
