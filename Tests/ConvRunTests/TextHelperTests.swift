import Foundation
import Testing

@testable import convrun

/// The CLI dropped Foundation (issue 16). Its replacements must print what `String(format:)` and
/// NSString printed, so each is checked against the Foundation call it replaced.
@Suite("CLI text helpers")
struct TextHelperTests {
  /// Ties, carries, negatives, zero, tiny and huge values, and the magnitudes the CLI prints.
  static let samples: [Double] = [
    0, -0.0, 0.05, 0.125, 0.25, 0.375, 1.005, 2.675, 9.9995, 99.95, 999.9995, -1.5, -0.0004, 1e-7, 3.14159265,
    123456.789, 1e15, 7.5e22, 0.1 + 0.2, 1.0 / 3.0, 12.3456789, 42, Double.infinity, -Double.infinity, Double.nan,
  ]

  static func randomSamples(count: Int) -> [Double] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in
      Double.random(in: -1...1, using: &generator) * pow(10, Double(Int.random(in: -8...12, using: &generator)))
    }
  }

  @Test("fixed(places:width:) prints as %W.Pf")
  func fixedMatchesPrintf() {
    for value in Self.samples + Self.randomSamples(count: 2000) {
      for places in [1, 2, 3] {
        #expect(NumberText.fixed(value, places: places) == String(format: "%.\(places)f", value), "value \(value)")
        #expect(NumberText.fixed(value, places: places, width: 9) == String(format: "%9.\(places)f", value), "value \(value)")
      }
    }
  }

  @Test("significant(digits: 6) prints as %.6g, including Float values widened to Double")
  func significantMatchesPrintf() {
    let floats = (Self.samples + Self.randomSamples(count: 2000)).map { Double(Float($0)) }
    for value in Self.samples + floats {
      #expect(NumberText.significant(value, digits: 6) == String(format: "%.6g", value), "value \(value)")
    }
  }

  @Test("A result longer than the first buffer is not cut")
  func longResult() {
    #expect(NumberText.fixed(1e300, places: 3) == String(format: "%.3f", 1e300))
  }

  @Test("Path helpers agree with NSString")
  func pathsMatchNSString() {
    let paths = [
      "/", "ab", "a.wav", "dir/a.WAV", "/abs/dir/a.b.npy", "a/b/", "a//b", ".hidden", "dir/.hidden", "dir/.hidden.wav",
      "noext.", "x/y.z/w", "/a", "..", "../x.flac", "./in.wav", "a b/c d.ogg",
    ]
    for path in paths {
      let ns = path as NSString
      #expect(PathText.fileExtension(path) == ns.pathExtension, "path \(path)")
      #expect(PathText.lastComponent(path) == ns.lastPathComponent, "path \(path)")
      #expect(PathText.directory(path) == ns.deletingLastPathComponent, "path \(path)")
      #expect(PathText.stem(path) == (ns.lastPathComponent as NSString).deletingPathExtension, "path \(path)")
    }
    // NSString (swift-corelibs-foundation) traps on the deletingLastPathComponent of "" and of any
    // one-character name, so the old CLI crashed on `-o a`; the helpers answer as for longer names.
    #expect(PathText.directory("") == "" && PathText.fileExtension("") == "" && PathText.stem("") == "")
    #expect(PathText.directory("a") == "" && PathText.lastComponent("a") == "a" && PathText.directory("d/a") == "d")
  }

  @Test("hexDigits prints as %04x")
  func hexMatchesPrintf() {
    for value: UInt32 in [0, 1, 0x1f, 0xabc, 0xffff, 0x10000] {
      #expect(hexDigits(value, width: 4) == String(format: "%04x", value))
    }
  }

  @Test("removingAll agrees with replacingOccurrences(of:with: \"\")")
  func removingMatchesFoundation() {
    for text in ["", "8G", "8GIB", "8GB", "IIBB", "IBIB", "BIB", "512KIB", "B", "I"] {
      for needle in ["IB", "B"] {
        #expect(text.removingAll(needle) == text.replacingOccurrences(of: needle, with: ""), "\(text) less \(needle)")
      }
    }
  }

  @Test("padded(to:) and trimmingBlanks")
  func paddingAndTrimming() {
    for (text, width) in [("p50", 11), ("throughput", 11), ("exactly", 7), ("longer than", 4), ("", 3)] {
      #expect(text.padded(to: width) == text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0))
    }
    for text in ["", " ", "\t1 ", " 16 ", "1,2", "  a b  "] {
      #expect(text.trimmingBlanks == text.trimmingCharacters(in: .whitespaces), "text '\(text)'")
    }
  }
}

@Suite("Finding non-finite input values")
struct NonFiniteInputTests {
  @Test(
    "the first NaN or infinity is found wherever it lies, block edges included",
    arguments: [Float.nan, .infinity, -.infinity, -Float.nan, Float(bitPattern: 0x7FC0_0001)])
  func firstNonFiniteAnywhere(bad: Float) {
    var rng = SystemRandomNumberGenerator()
    for count in [1, 4095, 4096, 4097, 20_000] {
      for position in Set([0, count / 2, min(4095, count - 1), min(4096, count - 1), count - 1]) {
        var values = (0..<count).map { _ in Float.random(in: -1e30...1e30, using: &rng) }
        values[position] = bad
        if position + 1 < count { values[count - 1] = bad }
        #expect(InputLoader.firstNonFinite(values) == position, "count \(count), position \(position)")
      }
    }
  }

  @Test("finite extremes are finite")
  func finiteExtremes() {
    let values: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0, 0, .ulpOfOne]
    #expect(InputLoader.firstNonFinite(values) == nil)
    #expect(InputLoader.firstNonFinite([]) == nil)
    #expect(InputLoader.firstNonFinite(Array(repeating: Float.greatestFiniteMagnitude, count: 10_000)) == nil)
  }
}
