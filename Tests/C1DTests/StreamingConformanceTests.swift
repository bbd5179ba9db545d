import Foundation
import Testing

@testable import C1D

@Suite("Streaming the conformance grid")
struct StreamingConformanceTests {
  static let legal = ConformanceCase.all.filter { $0.error == nil }

  @Test("every legal case streams exactly in chunks of 1, primes and random sizes; circular padding is refused by name", arguments: legal)
  func legalCase(_ c: ConformanceCase) throws {
    let model = try Model(contentsOf: Fixtures.path("conformance/\(c.name).c1d"))
    let input = c.tensor(shape: c.input_shape!, offset: c.input_offset!)
    let padded = c.attributes.padAmounts.left + c.attributes.padAmounts.right > 0
    if c.padding_mode == "circular" && padded {
      #expect {
        _ = try model.makeStream()
      } throws: { "\($0)".contains("circular") && "\($0)".contains("node '\(model.graph.nodes[0].name)'") }
      return
    }
    try expectStreamMatchesOffline(
      model, input, label: c.testDescription,
      patterns: [ChunkPatterns.ones, ChunkPatterns.primes, ChunkPatterns.random(seed: UInt64(c.length), count: 16, upTo: 40)])
    // And against PyTorch's own output.
    let expected = c.tensor(shape: c.output_shape!, offset: c.output_offset!)
    let online = try streamed(model, input, chunks: ChunkPatterns.bursts)
    #expect(online.shape == expected.shape)
    if online.shape == expected.shape { #expect(relativeError(online, expected) <= tolerance) }
  }
}
