import C1D
import Foundation

/// How `convrun` turns an input file into a tensor.
struct InputLoader {
  let model: Model
  /// `--shape N,C,L`, if given.
  let shape: [Int]?

  /// - Throws: `C1DError.invalidInput` stating the numbers when the file does not fit the model.
  func load(_ path: String) throws -> Tensor {
    let bytes = try Files.read(path)
    let input = model.graph.inputs[0]
    if path.lowercased().hasSuffix(".npy") {
      let tensor = try NPY.decode(bytes, name: path)
      if let shape, shape != tensor.shape {
        throw C1DError.invalidInput("\(path) has shape \(tensor.shape), --shape says \(shape)")
      }
      guard tensor.shape.count == 2 || tensor.shape.count == 3 else {
        throw C1DError.invalidInput("\(path) has shape \(tensor.shape): expected (C, L) or (N, C, L)")
      }
      return tensor
    }
    guard bytes.count % 4 == 0 else {
      throw C1DError.invalidInput("\(path) holds \(bytes.count) bytes, not a whole number of float32 values")
    }
    let floats = bytes.count / 4
    if let shape {
      guard shape.count == 3 || shape.count == 2 else {
        throw C1DError.invalidInput("--shape needs N,C,L or C,L, got \(shape.count) numbers")
      }
      return try NPY.decodeRaw(bytes, shape: shape, name: path)
    }
    let channels = input.channels
    if let length = input.length {
      guard floats > 0, floats % (channels * length) == 0 else {
        throw C1DError.invalidInput("\(path) holds \(floats) floats, not a multiple of C_in × L = \(channels) × \(length)")
      }
      return try NPY.decodeRaw(bytes, shape: [floats / (channels * length), channels, length], name: path)
    }
    guard floats > 0, floats % channels == 0 else {
      throw C1DError.invalidInput("\(path) holds \(floats) floats, not a multiple of C_in = \(channels) (pass --shape N,C,L)")
    }
    return try NPY.decodeRaw(bytes, shape: [1, channels, floats / channels], name: path)
  }
}

/// Parses `--shape 20,16,50`.
func parseShape(_ text: String?) throws -> [Int]? {
  guard let text else { return nil }
  let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
  guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
    throw CLIError(description: "--shape must be positive integers separated by commas, like 20,16,50; got '\(text)'", exitCode: 2)
  }
  return parts.map { $0! }
}

