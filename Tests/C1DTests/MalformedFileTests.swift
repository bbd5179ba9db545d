import Foundation
import Testing

@testable import C1D

@Suite("Malformed files are refused with their exact error")
struct MalformedFileTests {
  struct Expectation: Decodable, Sendable { var layer: String; var error: String }

  static let expected: [String: Expectation] = {
    let data = FileManager.default.contents(atPath: Fixtures.path("malformed/expected.json")) ?? Data()
    return (try? JSONDecoder().decode([String: Expectation].self, from: data)) ?? [:]
  }()

  static let files: [String] = Fixtures.subdirectories("malformed").filter { $0.hasSuffix(".c1d") }

  @Test("every corpus file has an expectation, and the corpus is complete")
  func corpusIsDescribed() {
    #expect(Self.files.count >= 40)
    #expect(Set(Self.files) == Set(Self.expected.keys))
  }

  @Test("loading gives exactly the expected error", arguments: files)
  func refused(_ file: String) throws {
    let expectation = try #require(Self.expected[file])
    do {
      let model = try Model(contentsOf: Fixtures.path("malformed/\(file)"))
      Issue.record("\(file) loaded (\(model.graph.nodes.count) nodes); expected: \(expectation.error)")
    } catch let error as C1DError {
      #expect(error.description == expectation.error)
    }
  }

  @Test("the same bytes from memory give the same error", arguments: files)
  func refusedFromBytes(_ file: String) throws {
    let expectation = try #require(Self.expected[file])
    let bytes = try Files.read(Fixtures.path("malformed/\(file)"))
    let error = #expect(throws: C1DError.self) { try Model(bytes: bytes) }
    #expect(error?.description == expectation.error)
  }

  @Test("every truncation of a valid file is refused cleanly")
  func everyTruncation() throws {
    let bytes = try Files.read(Fixtures.path("seed/model.c1d"))
    for length in 0..<bytes.count {
      #expect(throws: C1DError.self) { try Model(bytes: Array(bytes[0..<length])) }
    }
    _ = try Model(bytes: bytes)
  }

  @Test("every single-bit flip in the preamble and header is caught")
  func bitFlips() throws {
    let bytes = try Files.read(Fixtures.path("seed/model.c1d"))
    let headerEnd = 32 + Int(bytes[16]) + Int(bytes[17]) << 8
    for position in stride(from: 0, to: headerEnd, by: 3) {
      var copy = bytes
      copy[position] ^= 1 << UInt8(position % 8)
      #expect(throws: C1DError.self, "flip at byte \(position)") { try Model(bytes: copy) }
    }
  }
}
