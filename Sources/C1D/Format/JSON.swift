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
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x09, 0x0A, 0x0D: index += 1
      default: return
      }
    }
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
    let utf8 = word.utf8
    guard index + utf8.count <= bytes.count, bytes[index..<index + utf8.count].elementsEqual(utf8) else {
      throw failure("invalid literal")
    }
    index += utf8.count
  }

  private mutating func parseObject(depth: Int) throws(C1DError) -> JSONValue {
    index += 1
    // Room for a node's attributes without regrowing (each regrowth rehashes every key).
    var result = [String: JSONValue](minimumCapacity: 12)
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

  /// One String per string token, made from the token's UTF-8 bytes: in one piece when it has no escape
  /// (header strings rarely do), else from runs and decoded escapes gathered as UTF-8.
  private mutating func parseString() throws(C1DError) -> String {
    index += 1
    let start = index
    // ASCII needs no validation, and `String(decoding:)` of it takes the stdlib's contiguous fast path.
    var highBits: UInt8 = 0
    while index < bytes.count {
      let c = bytes[index]
      switch c {
      case UInt8(ascii: "\""):
        let run = bytes[start..<index]
        guard let text = highBits < 0x80 ? String(decoding: run, as: UTF8.self) : String(validating: run, as: UTF8.self)
        else { throw failure("invalid UTF-8 in a string") }
        index += 1
        return text
      case UInt8(ascii: "\\"), 0..<0x20:
        return try parseEscapedString(from: start)
      default:
        highBits |= c
        index += 1
      }
    }
    throw failure("unterminated string")
  }

  /// A string with escapes (or a control character, refused), from its first byte after the quote. Each run
  /// between escapes is validated as UTF-8 when it ends, so a problem is reported at the offset it always was.
  private mutating func parseEscapedString(from start: Int) throws(C1DError) -> String {
    index = start
    var utf8: [UInt8] = []
    var runStart = index
    func flush(_ parser: JSONParser, to end: Int) throws(C1DError) {
      guard runStart < end else { return }
      let run = parser.bytes[runStart..<end]
      guard String(validating: run, as: UTF8.self) != nil else { throw parser.failure("invalid UTF-8 in a string") }
      utf8.append(contentsOf: run)
    }
    while true {
      guard index < bytes.count else { throw failure("unterminated string") }
      let c = bytes[index]
      if c == UInt8(ascii: "\"") {
        try flush(self, to: index)
        index += 1
        // Every run was validated and every escape encoded from a scalar: nothing for decoding to repair.
        return String(decoding: utf8, as: UTF8.self)
      }
      if c < 0x20 { throw failure("unescaped control character in a string") }
      if c != UInt8(ascii: "\\") {
        index += 1
        continue
      }
      try flush(self, to: index)
      index += 1
      UTF8.encode(try parseEscape()) { utf8.append($0) }
      runStart = index
    }
  }

  /// The scalar of the escape after a backslash (a surrogate pair takes two `\u` escapes).
  private mutating func parseEscape() throws(C1DError) -> Unicode.Scalar {
    guard index < bytes.count else { throw failure("unterminated escape") }
    let escape = bytes[index]
    index += 1
    switch escape {
    case UInt8(ascii: "\""): return "\""
    case UInt8(ascii: "\\"): return "\\"
    case UInt8(ascii: "/"): return "/"
    case UInt8(ascii: "b"): return "\u{08}"
    case UInt8(ascii: "f"): return "\u{0C}"
    case UInt8(ascii: "n"): return "\n"
    case UInt8(ascii: "r"): return "\r"
    case UInt8(ascii: "t"): return "\t"
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
      return scalar
    default:
      throw failure("invalid escape")
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
    if isIntegral {
      guard let value = Self.integer(bytes[start..<index]) else { throw failure("integer out of range") }
      return .int(value)
    }
    guard let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)), value.isFinite else {
      throw failure("number out of range")
    }
    return .double(value)
  }

  /// The value of `-?[0-9]+` (as `parseNumber` has checked it), or nil when it overflows Int64: accumulated
  /// negative, so that Int64.min is read too.
  private static func integer(_ text: ArraySlice<UInt8>) -> Int64? {
    let negative = text.first == UInt8(ascii: "-")
    var value: Int64 = 0
    for digit in text.dropFirst(negative ? 1 : 0) {
      let (times10, o1) = value.multipliedReportingOverflow(by: 10)
      let (next, o2) = times10.subtractingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
      if o1 || o2 { return nil }
      value = next
    }
    if negative { return value }
    let (positive, overflow) = (0 as Int64).subtractingReportingOverflow(value)
    return overflow ? nil : positive
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
