// The header of a .c1d file is JSON in a canonical form (schema/FORMAT.md, "Canonical JSON").
// Foundation's encoders cannot promise that form (key order, "/" escaping, number spelling),
// and its decoders blur integers, doubles and booleans, so the format owns a small parser and writer.

/// A JSON value as the header format uses it.
///
/// Integers and non-integral numbers are kept apart so that a hyperparameter such as
/// `stride` can insist on an integer while `eps` accepts either.
enum JSONValue: Sendable, Hashable {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])
}

extension JSONValue {
  var typeName: String {
    switch self {
    case .null: "null"
    case .bool: "boolean"
    case .int: "integer"
    case .double: "number"
    case .string: "string"
    case .array: "array"
    case .object: "object"
    }
  }

  /// A short rendering for error messages, never longer than about 60 characters.
  var brief: String {
    let text = String(decoding: JSONValue.canonicalBytes(self), as: UTF8.self)
    return text.count > 60 ? String(text.prefix(57)) + "..." : text
  }
}

// MARK: - Parsing

struct JSONParser {
  /// Deepest nesting accepted; the header schema needs 5.
  static let maximumDepth = 32

  private let bytes: [UInt8]
  private var index = 0

  private init(_ bytes: [UInt8]) { self.bytes = bytes }

  /// Parses one JSON document, rejecting trailing bytes, duplicate keys and excessive nesting.
  /// - Throws: `C1DError.malformedHeader` naming the byte offset of the problem.
  static func parse(_ bytes: [UInt8]) throws(C1DError) -> JSONValue {
    var parser = JSONParser(bytes)
    parser.skipWhitespace()
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    guard parser.index == bytes.count else { throw parser.failure("unexpected data after the JSON document") }
    return value
  }

  private func failure(_ message: String) -> C1DError {
    .malformedHeader("\(message) at byte \(index) of the header")
  }

  private mutating func skipWhitespace() {
    while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
  }

  private mutating func parseValue(depth: Int) throws(C1DError) -> JSONValue {
    guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth)") }
    guard index < bytes.count else { throw failure("unexpected end of JSON") }
    switch bytes[index] {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
    case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
    case UInt8(ascii: "n"): try expectLiteral("null"); return .null
    default: return try parseNumber()
    }
  }

  private mutating func expectLiteral(_ word: String) throws(C1DError) {
    let utf8 = Array(word.utf8)
    guard index + utf8.count <= bytes.count, Array(bytes[index..<index + utf8.count]) == utf8 else {
      throw failure("invalid literal")
    }
    index += utf8.count
  }

  private mutating func parseObject(depth: Int) throws(C1DError) -> JSONValue {
    index += 1
    var result: [String: JSONValue] = [:]
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
      index += 1
      return .object(result)
    }
    while true {
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected an object key") }
      let key = try parseString()
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':'") }
      index += 1
      skipWhitespace()
      let value = try parseValue(depth: depth + 1)
      guard result.updateValue(value, forKey: key) == nil else { throw failure("duplicate key \"\(key)\"") }
      skipWhitespace()
      guard index < bytes.count else { throw failure("unterminated object") }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
      } else if bytes[index] == UInt8(ascii: "}") {
        index += 1
        return .object(result)
      } else {
        throw failure("expected ',' or '}'")
      }
    }
  }

  private mutating func parseArray(depth: Int) throws(C1DError) -> JSONValue {
    index += 1
    var result: [JSONValue] = []
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
      index += 1
      return .array(result)
    }
    while true {
      skipWhitespace()
      result.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      guard index < bytes.count else { throw failure("unterminated array") }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
      } else if bytes[index] == UInt8(ascii: "]") {
        index += 1
        return .array(result)
      } else {
        throw failure("expected ',' or ']'")
      }
    }
  }

  private mutating func parseHex4() throws(C1DError) -> UInt32 {
    guard index + 4 <= bytes.count else { throw failure("truncated \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let c = bytes[index]
      let digit: UInt32
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
      default: throw failure("invalid \\u escape")
      }
      value = value << 4 | digit
      index += 1
    }
    return value
  }

  private mutating func parseString() throws(C1DError) -> String {
    index += 1
    var scalars = String.UnicodeScalarView()
    var runStart = index
    var utf8Run: [UInt8] = []
    func flush(_ parser: JSONParser, to end: Int) throws(C1DError) {
      guard runStart < end else { return }
      utf8Run = Array(parser.bytes[runStart..<end])
      guard let text = String(validating: utf8Run, as: UTF8.self) else {
        throw parser.failure("invalid UTF-8 in a string")
      }
      scalars.append(contentsOf: text.unicodeScalars)
    }
    while true {
      guard index < bytes.count else { throw failure("unterminated string") }
      let c = bytes[index]
      if c == UInt8(ascii: "\"") {
        try flush(self, to: index)
        index += 1
        return String(scalars)
      }
      if c < 0x20 { throw failure("unescaped control character in a string") }
      if c != UInt8(ascii: "\\") {
        index += 1
        continue
      }
      try flush(self, to: index)
      index += 1
      guard index < bytes.count else { throw failure("unterminated escape") }
      let escape = bytes[index]
      index += 1
      switch escape {
      case UInt8(ascii: "\""): scalars.append("\"")
      case UInt8(ascii: "\\"): scalars.append("\\")
      case UInt8(ascii: "/"): scalars.append("/")
      case UInt8(ascii: "b"): scalars.append("\u{08}")
      case UInt8(ascii: "f"): scalars.append("\u{0C}")
      case UInt8(ascii: "n"): scalars.append("\n")
      case UInt8(ascii: "r"): scalars.append("\r")
      case UInt8(ascii: "t"): scalars.append("\t")
      case UInt8(ascii: "u"):
        var code = try parseHex4()
        if (0xD800..<0xDC00).contains(code) {
          guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
          else { throw failure("unpaired surrogate") }
          index += 2
          let low = try parseHex4()
          guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else { throw failure("unpaired surrogate") }
        scalars.append(scalar)
      default:
        throw failure("invalid escape")
      }
      runStart = index
    }
  }

  private mutating func parseNumber() throws(C1DError) -> JSONValue {
    let start = index
    var isIntegral = true
    if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
    func digits(_ parser: inout JSONParser) -> Int {
      let from = parser.index
      while parser.index < parser.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.index]) {
        parser.index += 1
      }
      return parser.index - from
    }
    let intStart = index
    let intDigits = digits(&self)
    guard intDigits > 0 else { throw failure("invalid value") }
    if intDigits > 1, bytes[intStart] == UInt8(ascii: "0") { throw failure("leading zero in a number") }
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      isIntegral = false
      index += 1
      guard digits(&self) > 0 else { throw failure("invalid number") }
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
      isIntegral = false
      index += 1
      if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
      guard digits(&self) > 0 else { throw failure("invalid number") }
    }
    let text = String(decoding: bytes[start..<index], as: UTF8.self)
    if isIntegral {
      guard let value = Int64(text) else { throw failure("integer out of range") }
      return .int(value)
    }
    guard let value = Double(text), value.isFinite else { throw failure("number out of range") }
    return .double(value)
  }
}

// MARK: - Canonical writing

extension JSONValue {
  /// The canonical encoding: no whitespace, object keys sorted by their UTF-8 bytes, strings escaped
  /// minimally, doubles in their shortest round-trip spelling.
  static func canonicalBytes(_ value: JSONValue) -> [UInt8] {
    var out: [UInt8] = []
    value.write(to: &out)
    return out
  }

  private func write(to out: inout [UInt8]) {
    switch self {
    case .null: out += Array("null".utf8)
    case .bool(let b): out += Array((b ? "true" : "false").utf8)
    case .int(let i): out += Array(String(i).utf8)
    case .double(let d): out += Array(Self.spell(d).utf8)
    case .string(let s): Self.writeString(s, to: &out)
    case .array(let items):
      out.append(UInt8(ascii: "["))
      for (i, item) in items.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        item.write(to: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let members):
      out.append(UInt8(ascii: "{"))
      let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      for (i, key) in keys.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        Self.writeString(key, to: &out)
        out.append(UInt8(ascii: ":"))
        members[key]!.write(to: &out)
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  /// Swift's `description` of a finite Double is the shortest round-trip spelling, with the same
  /// exponent thresholds and `e+XX` / `e-XX` form as Python's `repr`.
  static func spell(_ d: Double) -> String {
    d == 0 ? (d.sign == .minus ? "-0.0" : "0.0") : d.description
  }

  private static func writeString(_ s: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    for byte in s.utf8 {
      switch byte {
      case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
      case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
      case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
      case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
      case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
      case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
      case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
      case 0..<0x20:
        let hex = Array("0123456789abcdef".utf8)
        out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
      default: out.append(byte)
      }
    }
    out.append(UInt8(ascii: "\""))
  }
}
