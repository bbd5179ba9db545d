/// Reading and writing float32 tensors as NumPy `.npy` (format 1.0–3.0, C order; float16, float32 and
/// float64 are read and converted, float32 is written) and as raw little-endian float32.
public enum NPY {
  private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

  /// Decodes a `.npy` file in C order holding float16, float32 or float64 (either byte order), converting
  /// to float32 as `x.astype(np.float32)` does.
  /// - Throws: `C1DError.invalidInput` naming what is wrong (dtype, order, shape, size) and what to do.
  public static func decode(_ bytes: [UInt8], name: String = "input") throws -> Tensor {
    try bytes.withUnsafeBytes { try decode($0, name: name) }
  }

  /// `decode` of bytes where they lie (a memory-mapped file): the values are converted straight into the
  /// tensor, with no intermediate copy of the payload.
  public static func decode(_ bytes: UnsafeRawBufferPointer, name: String = "input") throws -> Tensor {
    let layout = try Layout(bytes, fileSize: bytes.count, name: name)
    return Tensor(uncheckedShape: layout.shape, values: layout.dtype.floats(UnsafeRawBufferPointer(rebasing: bytes[layout.dataStart...])))
  }

  /// A `.npy` file of little-endian float32 in C order, its payload read straight into the tensor (one
  /// copy by `pread`; a map costs ~0.1 ms more per MB in page-table work). Nil for any other file, and
  /// on any error: `decode` of its bytes then reads it, or refuses it in its own words.
  public static func readFloat32(path: String, name: String = "input") -> Tensor? {
    guard let (file, size) = SourceFile.regular(path: path), size >= 10 else { return nil }
    var prefix = [UInt8](repeating: 0, count: min(size, 4096))
    guard (try? prefix.withUnsafeMutableBytes { try file.read(offset: 0, into: $0) }) != nil,
      let layout = try? prefix.withUnsafeBytes({ try Layout($0, fileSize: size, name: name) }),
      layout.dtype.size == 4, !layout.dtype.bigEndian
    else { return nil }
    var read = false
    let values = [Float](unsafeUninitializedCapacity: layout.count) { buffer, count in
      read = (try? file.read(offset: layout.dataStart, into: UnsafeMutableRawBufferPointer(buffer))) != nil
      // Uninitialised values are never exposed: the array is discarded unless the read filled it.
      count = layout.count
    }
    return read ? Tensor(uncheckedShape: layout.shape, values: values) : nil
  }

  /// A `.npy` header parsed and checked against the file's size: the shape, the element type, and where
  /// the values start.
  struct Layout {
    let shape: [Int]
    let count: Int
    let dtype: NPYDType
    let dataStart: Int

    /// - Parameters:
    ///   - bytes: the file's first bytes, at least its header (else "truncated .npy header").
    ///   - fileSize: the whole file's size, which the shape and element type must account for exactly.
    init(_ bytes: UnsafeRawBufferPointer, fileSize: Int, name: String) throws {
      func fail(_ message: String) -> C1DError { .invalidInput("\(name): \(message)") }
      guard bytes.count >= 10, bytes.prefix(6).elementsEqual(NPY.magic) else { throw fail("not a .npy file (bad magic)") }
      let major = bytes[6]
      let (headerLength, headerStart): (Int, Int)
      switch major {
      case 1: (headerLength, headerStart) = (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
      case 2, 3:
        guard bytes.count >= 12 else { throw fail("truncated .npy header") }
        (headerLength, headerStart) = ((8..<12).reduce(0) { $0 | Int(bytes[$1]) << (8 * ($1 - 8)) }, 12)
      default: throw fail("unsupported .npy version \(major)")
      }
      guard headerLength <= 1 << 16, headerStart + headerLength <= bytes.count else { throw fail("truncated .npy header") }
      // Parsed as bytes: Character-level adaptors (drop, reversed, filter) each instantiate generic
      // metadata at their first use, about 0.3 ms of a small model's whole process (issue 16).
      let header = Array(UnsafeRawBufferPointer(rebasing: bytes[headerStart..<headerStart + headerLength]))
      guard let descr = NPY.field("descr", in: header) else { throw fail("no dtype ('descr') in the .npy header") }
      dtype = try NPYDType(descr: String(decoding: descr.filter { $0 != UInt8(ascii: "'") && $0 != UInt8(ascii: "\"") }, as: UTF8.self), name: name)
      guard NPY.field("fortran_order", in: header).map({ String(decoding: $0, as: UTF8.self) }) == "False" else {
        throw fail("arrays in Fortran order are not supported; save with np.ascontiguousarray")
      }
      guard let shapeField = NPY.field("shape", in: header) else { throw fail("no shape in the .npy header") }
      let shapeText = String(decoding: shapeField, as: UTF8.self)
      let dims = NPY.dimensions(shapeField)
      guard dims.allSatisfy({ $0 != nil && $0! >= 0 }) else { throw fail("bad shape \(shapeText)") }
      shape = dims.map { $0! }
      guard let count = shape.checkedProduct, count <= (fileSize - headerStart - headerLength) / dtype.size + 1 else {
        throw fail("shape \(shape) needs more data than the file holds")
      }
      self.count = count
      dataStart = headerStart + headerLength
      guard fileSize - dataStart == count * dtype.size else {
        throw fail("shape \(shape) of \(dtype.descr) needs \(count * dtype.size) bytes of data, the file holds \(fileSize - dataStart)")
      }
    }
  }

  /// The value bytes of `key` in a .npy header dictionary, spaces trimmed: a tuple through its `)`, else
  /// up to the next `,` or `}`.
  private static func field(_ key: String, in header: [UInt8]) -> ArraySlice<UInt8>? {
    let needle = Array("'\(key)':".utf8)
    guard header.count >= needle.count,
      let start = (0...header.count - needle.count).first(where: { header[$0..<$0 + needle.count].elementsEqual(needle) })
    else { return nil }
    let space = UInt8(ascii: " ")
    var lower = start + needle.count
    while lower < header.count, header[lower] == space { lower += 1 }
    var upper = lower
    if lower < header.count, header[lower] == UInt8(ascii: "(") {
      while upper < header.count, header[upper] != UInt8(ascii: ")") { upper += 1 }
      guard upper < header.count else { return nil }
      return header[lower...upper]
    }
    while upper < header.count, header[upper] != UInt8(ascii: ","), header[upper] != UInt8(ascii: "}") { upper += 1 }
    while upper > lower, header[upper - 1] == space { upper -= 1 }
    return header[lower..<upper]
  }

  /// The comma-separated integers of a shape tuple, parentheses and spaces ignored, empty items skipped
  /// (`(5,)` is one dimension); nil for an item that is not an integer.
  private static func dimensions(_ tuple: ArraySlice<UInt8>) -> [Int?] {
    let digits = tuple.filter { $0 != UInt8(ascii: "(") && $0 != UInt8(ascii: ")") && $0 != UInt8(ascii: " ") }
    return digits.split(separator: UInt8(ascii: ",")).map { Int(String(decoding: $0, as: UTF8.self)) }
  }

  /// Encodes a tensor as a version 1.0 `.npy` file (`<f4`, C order).
  public static func encode(_ tensor: Tensor) -> [UInt8] {
    var bytes = header(shape: tensor.shape)
    bytes.reserveCapacity(bytes.count + tensor.values.count * 4)
    #if _endian(little)
      tensor.values.withUnsafeBytes { bytes.append(contentsOf: $0) }
    #else
      bytes += DType.f32.encode(tensor.values)
    #endif
    return bytes
  }

  /// The magic, version and header of a `.npy` file of `<f4` values of `shape`: what precedes the data.
  public static func header(shape: [Int]) -> [UInt8] {
    // A loop rather than `joined(separator:)`, as `dimensions` in the CLI, for a process's first use.
    var text = "("
    for (index, extent) in shape.enumerated() { text += index == 0 ? String(extent) : ", " + String(extent) }
    text += shape.count == 1 ? ",)" : ")"
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(text), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    let length = header.utf8.count
    return magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8)
  }

  /// Decodes raw little-endian float32 of the given shape.
  /// - Throws: `C1DError.invalidInput` when the byte count does not match the shape.
  static func decodeRaw(_ bytes: [UInt8], shape: [Int], name: String = "input") throws -> Tensor {
    guard bytes.count % 4 == 0 else {
      throw C1DError.invalidInput("\(name) holds \(bytes.count) bytes, not a whole number of float32 values")
    }
    guard let count = shape.checkedProduct, count * 4 == bytes.count else {
      throw C1DError.invalidInput("\(name) holds \(bytes.count / 4) floats, shape \(shape) needs \(shape.checkedProduct.map(String.init) ?? "too many")")
    }
    return Tensor(uncheckedShape: shape, values: DType.f32.decode(bytes))
  }
}

/// A `.npy` element type convrun reads: a float of 2, 4 or 8 bytes in either byte order.
struct NPYDType {
  let descr: String
  let size: Int
  let bigEndian: Bool

  /// - Throws: `C1DError.invalidInput` for any other dtype, saying how to convert the array.
  init(descr: String, name: String) throws {
    self.descr = descr
    let aliases = ["float16": "<f2", "float32": "<f4", "float64": "<f8"]
    // Bytes rather than Characters, for the reason `NPY.decode` gives.
    let code = Array((aliases[descr] ?? descr).utf8)
    let kind = code.count >= 2 ? code[1] : UInt8(ascii: "?")
    let size = code.count == 3 ? Int(code[2]) - Int(UInt8(ascii: "0")) : 0
    let orders: [UInt8] = [UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "="), UInt8(ascii: "|")]
    if code.count == 3, orders.contains(code[0]), kind == UInt8(ascii: "f"), size == 2 || size == 4 || size == 8 {
      self.size = size
      bigEndian = code[0] == UInt8(ascii: ">")
      return
    }
    let fix = "save it as float32, e.g. np.save(path, x.astype(np.float32))"
    let message: String
    switch Unicode.Scalar(kind) {
    case "i", "u":
      message = "dtype '\(descr)' holds integers, which convrun does not guess a scale for: convert to float32 first, e.g. x.astype(np.float32) / 32768 for 16-bit audio, or \(fix)"
    case "b": message = "dtype '\(descr)' holds booleans: \(fix)"
    case "c": message = "dtype '\(descr)' holds complex numbers: pass the real and imaginary parts as channels, or \(fix)"
    default: message = "dtype '\(descr)' is not a float16, float32 or float64 array: \(fix)"
    }
    throw C1DError.invalidInput("\(name): \(message)")
  }

  /// The elements as float32, rounded to nearest as numpy's `astype(np.float32)` rounds.
  func floats(_ raw: UnsafeRawBufferPointer) -> [Float] {
    if size == 4, !bigEndian { return DType.f32.decode(raw) }
    if size == 2, !bigEndian { return DType.f16.decode(raw) }
    let count = raw.count / size
    return (0..<count).map { index in
        var bits: UInt64 = 0
        for byte in 0..<size {
          let source = bigEndian ? index * size + size - 1 - byte : index * size + byte
          bits |= UInt64(raw[source]) << (8 * byte)
        }
        switch size {
        case 2: return Float(Float16(bitPattern: UInt16(truncatingIfNeeded: bits)))
        case 4: return Float(bitPattern: UInt32(truncatingIfNeeded: bits))
        default: return Float(Double(bitPattern: bits))
        }
    }
  }
}

extension Tensor {
  /// Reads a `.npy` file.
  /// - Throws: `C1DError.io` or `C1DError.invalidInput`.
  public init(npyFile path: String) throws {
    if let tensor = NPY.readFloat32(path: path, name: path) {
      self = tensor
      return
    }
    let file = try MappedFile(path: path)
    self = try withExtendedLifetime(file) { try NPY.decode(file.bytes, name: path) }
  }

  /// Writes the tensor as a `.npy` file, atomically.
  public func writeNPY(to path: String) throws {
    #if _endian(little)
      // The header, then the values' own bytes: a long output is not copied on its way out.
      try NPY.header(shape: shape).withUnsafeBytes { h in
        try values.withUnsafeBytes { v in try FileIO.writeAtomically([h, v], to: path) }
      }
    #else
      try FileIO.writeAtomically(NPY.encode(self), to: path)
    #endif
  }

  /// Writes the values as raw little-endian float32, atomically.
  public func writeRaw(to path: String) throws {
    #if _endian(little)
      try values.withUnsafeBytes { v in try FileIO.writeAtomically([v], to: path) }
    #else
      try FileIO.writeAtomically(DType.f32.encode(values), to: path)
    #endif
  }
}

/// Reads whole files for the CLI and tools.
enum Files {
  /// - Throws: `C1DError.io`.
  static func read(_ path: String) throws -> [UInt8] { try FileIO.read(path: path) }
}
