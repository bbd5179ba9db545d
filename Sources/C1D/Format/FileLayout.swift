/// Byte-level constants of the .c1d container (schema/FORMAT.md, "File layout").
enum FileLayout {
  static let magic: [UInt8] = [0x89, 0x43, 0x31, 0x44, 0x0D, 0x0A, 0x1A, 0x0A]
  static let majorVersion = 1
  /// The newest minor version this library reads and writes; a file is written with the least minor
  /// version whose ops it uses (`OpDefinition.minorVersion`), so 1.0 files keep their bytes.
  static let minorVersion = 1
  /// Size of the fixed preamble; the header starts right after it.
  static let preambleSize = 32
  /// Every tensor blob starts at a multiple of this file offset.
  static let alignment = 64

  static func aligned(_ offset: Int) -> Int {
    (offset + alignment - 1) / alignment * alignment
  }
}

/// Limits the loader enforces on every file (schema/FORMAT.md, "Security").
///
/// Each bounds memory or time that a hostile file could otherwise make the loader spend.
public struct LoadLimits: Sendable, Hashable {
  /// Largest header accepted, in bytes.
  public var maxHeaderBytes = 16 << 20
  public var maxNodes = 100_000
  public var maxTensors = 100_000
  public var maxRank = 8
  /// Largest single dimension of a stored tensor.
  public var maxDimension = 1 << 31
  /// Largest raw (decoded) size of one tensor, in bytes.
  public var maxTensorBytes = 8 << 30
  /// deflate cannot expand data more than about 1032:1; raw bytes above this ratio to the
  /// stored bytes cannot be honest and are refused before anything is inflated.
  public var maxInflateRatio = 1100
  /// Largest hyperparameter value (kernel size, stride, dilation, padding, channels).
  public var maxHyperparameter = 1 << 24

  public init() {}

  public static let `default` = LoadLimits()
}
