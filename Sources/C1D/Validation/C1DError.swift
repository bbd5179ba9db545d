/// Every way a model file, a model, or an input can be rejected.
///
/// Each case names the node or tensor concerned and the expected and actual values, so that
/// the message alone tells a user what is wrong. Messages use PyTorch's wording where PyTorch
/// rejects the same thing.
public enum C1DError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The file does not start with the c1d magic bytes.
  case badMagic(found: [UInt8])
  /// The file's major version is not one this reader implements.
  case unsupportedVersion(major: Int, minor: Int)
  /// The file ends before a structure it declares.
  case truncated(what: String, needed: Int, available: Int)
  /// A CRC-32 stored in the file disagrees with the bytes it covers.
  case checksumMismatch(what: String, stored: UInt32, computed: UInt32)
  /// The header is not valid JSON (or nests too deeply).
  case malformedHeader(String)
  /// A header field is missing, of the wrong type, or out of range.
  case invalidField(path: String, expected: String, actual: String)
  /// A size the file declares exceeds a loader limit (schema/FORMAT.md, "Security").
  case limitExceeded(what: String, limit: Int, actual: Int)
  /// A tensor's stored bytes are not inside the file's data section.
  case tensorOutOfBounds(tensor: String, offset: Int, size: Int, fileSize: Int)
  /// A tensor's offset is not a multiple of 64.
  case misalignedTensor(tensor: String, offset: Int)
  /// Two tensors' stored bytes overlap.
  case overlappingTensors(String, String)
  /// Two tensors, nodes or graph values share a name.
  case duplicateName(kind: String, name: String)
  /// A tensor's declared raw size disagrees with its dtype and shape.
  case rawSizeMismatch(tensor: String, expected: Int, declared: Int)
  /// A compressed tensor inflates to a size other than the one declared, or is not valid zlib data.
  case corruptTensorData(tensor: String, reason: String)
  /// A node's op is not one this version knows.
  case unknownOp(node: String, op: String)
  /// A string-valued field holds a value outside its allowed set.
  case unknownValue(path: String, value: String, allowed: [String])
  /// A node's hyperparameters are impossible (message in PyTorch's words where it has them).
  case invalidHyperparameter(node: String, message: String)
  /// A parameter tensor is missing, unused, or has the wrong shape.
  case parameterMismatch(node: String, tensor: String, expected: String, actual: String)
  /// A tensor in the file that no node names as a parameter.
  case unusedTensor(String)
  /// A node reads a value that no earlier node or graph input defines.
  case undefinedValue(node: String, value: String)
  /// The graph's nodes depend on each other in a cycle.
  case cycle(nodes: [String])
  /// A node receives a value of the wrong channel count or rank.
  case shapeMismatch(node: String, value: String, expected: String, actual: String)
  /// A node's output would be empty for the given input length.
  case inputTooShort(node: String, message: String)
  /// An input tensor does not fit the model.
  case invalidInput(String)
  /// A file could not be read or written.
  case io(path: String, operation: String, errno: Int32, message: String)
  /// A node needs the whole time axis, so the model cannot run as a stream (or time-tiled).
  case cannotStream(node: String, reason: String)
  /// A tensor's stored bytes, read again from the file the model was loaded from (the model keeps no copy
  /// of them), are no longer the bytes it loaded: the file was rewritten in place or truncated since.
  /// `expectedCRC` is the checksum the load verified: of the stored bytes, or of a deflated tensor's raw bytes.
  case sourceFileChanged(tensor: String, path: String, expectedCRC: UInt32, actual: String)

  public var description: String {
    switch self {
    case .badMagic(let found):
      let hex = found.prefix(8).map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
      return "not a c1d file: expected magic 89 43 31 44 0d 0a 1a 0a, found \(hex.isEmpty ? "an empty file" : hex)"
    case .unsupportedVersion(let major, let minor):
      return "unsupported c1d version \(major).\(minor): this reader implements major version \(FileLayout.majorVersion)"
    case .truncated(let what, let needed, let available):
      return "file truncated: \(what) needs \(needed) bytes, only \(available) present"
    case .checksumMismatch(let what, let stored, let computed):
      return "CRC-32 mismatch in \(what): stored \(hex32(stored)), computed \(hex32(computed))"
    case .malformedHeader(let message):
      return "malformed header: \(message)"
    case .invalidField(let path, let expected, let actual):
      return "\(path): expected \(expected), got \(actual)"
    case .limitExceeded(let what, let limit, let actual):
      return "\(what) is \(actual), above the loader's limit of \(limit)"
    case .tensorOutOfBounds(let tensor, let offset, let size, let fileSize):
      return "tensor '\(tensor)': bytes [\(offset), \(offset &+ size)) lie outside the data section of a \(fileSize)-byte file"
    case .misalignedTensor(let tensor, let offset):
      return "tensor '\(tensor)': offset \(offset) is not a multiple of \(FileLayout.alignment)"
    case .overlappingTensors(let a, let b):
      return "tensors '\(a)' and '\(b)' overlap in the file"
    case .duplicateName(let kind, let name):
      return "duplicate \(kind) name '\(name)'"
    case .rawSizeMismatch(let tensor, let expected, let declared):
      return "tensor '\(tensor)': raw_size is \(declared), but dtype size × product(shape) is \(expected)"
    case .corruptTensorData(let tensor, let reason):
      return "tensor '\(tensor)': \(reason)"
    case .unknownOp(let node, let op):
      return "node '\(node)': unknown op '\(op)'"
    case .unknownValue(let path, let value, let allowed):
      return "\(path): unknown value '\(value)', expected one of \(allowed.map { "'\($0)'" }.joined(separator: ", "))"
    case .invalidHyperparameter(let node, let message):
      return "node '\(node)': \(message)"
    case .parameterMismatch(let node, let tensor, let expected, let actual):
      return "node '\(node)': parameter '\(tensor)' expected \(expected), got \(actual)"
    case .unusedTensor(let tensor):
      return "tensor '\(tensor)' is not a parameter of any node: remove it from the file, or name it in a node's params"
    case .undefinedValue(let node, let value):
      return "node '\(node)': input '\(value)' is used before it is defined"
    case .cycle(let nodes):
      return "the graph has a cycle through nodes \(nodes.map { "'\($0)'" }.joined(separator: " → "))"
    case .shapeMismatch(let node, let value, let expected, let actual):
      return "node '\(node)': input '\(value)' expected \(expected), got \(actual)"
    case .inputTooShort(let node, let message):
      return "node '\(node)': \(message)"
    case .invalidInput(let message):
      return message
    case .io(let path, let operation, let errno, let message):
      return "\(path): \(operation) failed: \(message) (errno \(errno))"
    case .cannotStream(let node, let reason):
      return "node '\(node)' cannot stream: \(reason); run the model on the whole signal instead (model(x), or convrun MODEL INPUT)"
    case .sourceFileChanged(let tensor, let path, let expected, let actual):
      return "tensor '\(tensor)': \(path) changed since the model was loaded from it (at load its data had CRC-32 \(hex32(expected)); now it holds \(actual)); the model reads them from the file when it needs them again: load the model again"
    }
  }
}

private func hex32(_ value: UInt32) -> String {
  "0x" + String(value, radix: 16).leftPadded(to: 8)
}

extension String {
  func leftPadded(to width: Int, with pad: Character = "0") -> String {
    count >= width ? self : String(repeating: pad, count: width - count) + self
  }
}

extension C1DError {
  /// `error` itself when it is a `C1DError`; otherwise its description as an input error.
  static func wrap(_ error: any Error) -> C1DError {
    error as? C1DError ?? .invalidInput(String(describing: error))
  }
}
