import C1D

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The short description of an output that `convrun` prints when not writing a file.
struct OutputSummary {
  var name: String
  var shape: [Int]
  var minimum: Float
  var maximum: Float
  var mean: Double
  var first: [Float]

  init(name: String, tensor: Tensor) {
    self.name = name
    shape = tensor.shape
    (minimum, maximum, mean) = Self.statistics(tensor.values)
    first = Array(tensor.values.prefix(8))
  }

  /// Minimum, maximum and mean in one pass over the values (three passes cost more than the run for a
  /// large, cheap model). Comparisons as `Sequence.min()` and `max()` make them, so NaN is treated alike.
  static func statistics(_ values: [Float]) -> (Float, Float, Double) {
    values.withUnsafeBufferPointer { v in
      guard var low = v.first else { return (.nan, .nan, 0) }
      var high = low
      var sum = 0.0
      for x in v {
        if x < low { low = x }
        if high < x { high = x }
        sum += Double(x)
      }
      return (low, high, sum / Double(v.count))
    }
  }

  var text: String {
    """
    \(name): shape \(shape)  min \(format(minimum))  max \(format(maximum))  mean \(format(Float(mean)))
      first values: \(first.map(format).joined(separator: " "))
    """
  }

  static func json(
    _ summaries: [OutputSummary], milliseconds: Double, phases: PhaseTimings? = nil, input: LoadedInput? = nil,
    written: [(String, String)] = []
  ) -> String {
    let outputs = summaries.map { s in
      "{\"name\":\(quote(s.name)),\"shape\":[\(s.shape.map(String.init).joined(separator: ","))],\"min\":\(number(s.minimum)),\"max\":\(number(s.maximum)),\"mean\":\(number(Float(s.mean))),\"first\":[\(s.first.map(number).joined(separator: ","))]}"
    }
    var fields = ["\"outputs\":[\(outputs.joined(separator: ","))]", "\"milliseconds\":\(milliseconds)"] + (phases?.jsonFields ?? [])
    if let input {
      fields.insert("\"input\":\(quote(input.name)),\"input_shape\":[\(input.tensor.shape.map(String.init).joined(separator: ","))]", at: 0)
    }
    if !written.isEmpty {
      fields.append("\"written\":{" + written.map { "\(quote($0.0)):\(quote($0.1))" }.joined(separator: ",") + "}")
    }
    return "{" + fields.joined(separator: ",") + "}"
  }
}

func format(_ value: Float) -> String { NumberText.significant(Double(value), digits: 6) }

func number(_ value: Float) -> String { value.isFinite ? "\(value)" : "null" }

/// A JSON string literal: quotes, backslashes and control characters escaped.
func quote(_ text: String) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    case _ where scalar.value < 0x20: out += "\\u" + hexDigits(scalar.value, width: 4)
    default: out.unicodeScalars.append(scalar)
    }
  }
  return out + "\""
}


/// Lower-case hex, zero-padded to `width` digits (as `%04x`).
func hexDigits(_ value: UInt32, width: Int) -> String {
  let digits = String(value, radix: 16)
  return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
