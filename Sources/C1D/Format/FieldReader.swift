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
