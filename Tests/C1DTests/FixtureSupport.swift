import Foundation
import Testing

@testable import C1D

/// Paths into the package's `Fixtures/` folder.
enum Fixtures {
  static let root: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
      url.deleteLastPathComponent()
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
    }
    return url.appendingPathComponent("Fixtures").path
  }()

  static func path(_ relative: String) -> String { root + "/" + relative }

  static func npy(_ relative: String) throws -> Tensor { try Tensor(npyFile: path(relative)) }

  static func subdirectories(_ relative: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path(relative))) ?? []).sorted()
  }
}

import CC1DKernels

/// max |a − b| / max(1, max |b|), the tolerance measure of the interpreter issue.
func relativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
  precondition(actual.values.count == expected.values.count)
  var worst: Float = 0
  var scale: Float = 1
  for (a, b) in zip(actual.values, expected.values) {
    worst = max(worst, abs(a - b))
    scale = max(scale, abs(b))
  }
  return worst / scale
}

let tolerance: Float = 1e-4
