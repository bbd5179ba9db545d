import Foundation
import Testing

@testable import C1D

@Suite("Streaming the fixtures")
struct StreamingFixtureTests {
  static let folders = Fixtures.subdirectories("architectures").map { "architectures/\($0)" }
    + Fixtures.subdirectories("ops").map { "ops/\($0)" }

  @Test("probe", arguments: folders)
  func probe(folder: String) throws {
    let model = try Model(contentsOf: Fixtures.path("\(folder)/model.c1d"))
    let input = try Fixtures.npy("\(folder)/input.npy")
    do {
      let s = try model.makeStream(threads: 1)
      print("STREAM \(folder): latency \(s.latency) rf \(s.receptiveField) input \(input.shape)")
      try expectStreamMatchesOffline(model, input, label: folder, patterns: [[100000], ChunkPatterns.ones, ChunkPatterns.primes, ChunkPatterns.bursts])
    } catch let error as C1DError {
      print("REFUSED \(folder): \(error)")
    }
  }
}
