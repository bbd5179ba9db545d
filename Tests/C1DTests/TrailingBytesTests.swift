import Foundation
import Testing

@testable import C1D

/// FORMAT.md §9: a file ends exactly where its data ends. Trailing bytes are covered by no checksum, so
/// accepting them let appended or spliced files pass as valid.
@Suite("Trailing bytes")
struct TrailingBytesTests {
  @Test("100 bytes appended to the seed model are refused by the loader and by validate")
  func appendedBytesAreRefused() throws {
    let original = try Files.read(Fixtures.path("seed/model.c1d"))
    _ = try Model(bytes: original)
    var rng = SeededGenerator(seed: 14)
    let appended = original + (0..<100).map { _ in UInt8.random(in: 0...255, using: &rng) }
    #expect {
      try Model(bytes: appended)
    } throws: { error in
      "\(error)".contains("100 trailing bytes") && "\(error)".contains("\(original.count) bytes")
    }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("trailing-\(getpid()).c1d").path
    try Data(appended).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let problems = Model.problems(inFileAt: path)
    #expect(problems.count == 1 && "\(problems)".contains("trailing bytes"))
  }

  @Test("a model without tensors ends at the header; one byte more is refused")
  func tensorlessModelEndsAtHeader() throws {
    var builder = ModelBuilder(channels: 2)
    let output = builder.add(.relu, [builder.input])
    let bytes = try builder.build(outputs: [output]).serialized()
    _ = try Model(bytes: bytes)
    #expect(throws: C1DError.self) { try Model(bytes: bytes + [0]) }
  }

  @Test("every fixture model still loads: writers end files where the data ends")
  func fixturesEndWhereTheirDataEnds() throws {
    let root = URL(fileURLWithPath: Fixtures.root)
    let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
      .compactMap { $0 as? URL }
      .filter { $0.pathExtension == "c1d" && !$0.path.contains("/malformed/") }
    #expect(files.count > 100)
    for file in files {
      let problems = Model.problems(inFileAt: file.path).filter { "\($0)".contains("trailing bytes") }
      #expect(problems.isEmpty, "\(file.path): \(problems)")
    }
  }
}
