import C1DFuzzTargets
import Foundation
import Testing

@testable import C1D

/// Every input the fuzzers ever crashed on, kept under Fixtures/malformed/fuzz/<target>/ and
/// replayed through the same target: each must now return normally (a trap would end the test run).
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
  static let cases: [String] = ["loader", "input", "interpreter"].flatMap { target in
    Fixtures.subdirectories("malformed/fuzz/\(target)").map { "\(target)/\($0)" }
  }

  @Test("every saved crash input now runs cleanly through its target", arguments: cases)
  func replay(_ path: String) throws {
    let target = String(path.split(separator: "/")[0])
    let bytes = try Files.read(Fixtures.path("malformed/fuzz/\(path)"))
    FuzzTargets.run(target, bytes)
    if target == "loader" {
      // A loader regression is a file: it must give a typed error or a valid model.
      do { _ = try Model(bytes: bytes) } catch { #expect(error is C1DError) }
    }
  }

  @Test("the corpus is not empty")
  func corpusExists() { #expect(!Self.cases.isEmpty) }

  @Test("found by fuzzing: a negative dimension is a typed error, not a trap")
  func negativeDimension() {
    #expect(throws: C1DError.invalidInput("cannot make a tensor of shape [1, 4, -3]")) {
      try Tensor(shape: [1, 4, -3], repeating: 0)
    }
  }
}
