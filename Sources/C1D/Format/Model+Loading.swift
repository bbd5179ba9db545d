import CC1DKernels

extension Model {
  /// Loads and validates a model from a file, memory-mapping it while the tensors are decoded. The model
  /// keeps the file open (not mapped) to read tensors again when asked for them: `weights`, or a re-save.
  /// - Parameters:
  ///   - path: a `.c1d` file.
  ///   - limits: bounds on what the file may declare.
  ///   - threads: the most threads decoding and packing weights may use (default: every core); a model
  ///     of at most 256 K weights is packed on one.
  ///   - preparing: when the weights are decoded, checked and packed: at load (the default), or in every
  ///     run, step by step (`KernelPreparation.perRun`, for a model run once; its tensor data is then
  ///     checked by the runs, which read them from the file again).
  /// - Throws: `C1DError` describing the first problem found: I/O, structure, checksum, or graph.
  public init(
    contentsOf path: String, limits: LoadLimits = .default, threads: Int? = nil, preparing: KernelPreparation = .atLoad
  ) throws {
    let file = try MappedFile(path: path, keepingDescriptor: true)
    try self.init(
      parsing: file.bytes, origin: .file(file.source!), mapping: file, limits: limits, threads: threads, preparing: preparing)
  }

  /// Loads and validates a model from the bytes of a `.c1d` file (kept, not copied, to read tensors again).
  /// `threads` and `preparing` as for `init(contentsOf:limits:threads:preparing:)`.
  /// - Throws: `C1DError` describing the first problem found.
  public init(
    bytes: [UInt8], limits: LoadLimits = .default, threads: Int? = nil, preparing: KernelPreparation = .atLoad
  ) throws {
    self = try bytes.withUnsafeBytes {
      try Model(parsing: $0, origin: .bytes(bytes), mapping: nil, limits: limits, threads: threads, preparing: preparing)
    }
  }

  /// - Parameter mapping: `file`'s owner when it is a mapping, which the model must not keep.
  init(
    parsing file: UnsafeRawBufferPointer, origin: WeightStore.Origin, mapping: MappedFile?, limits: LoadLimits,
    threads: Int? = nil, preparing: KernelPreparation = .atLoad
  ) throws {
    let (header, headerSize) = try Self.readHeader(file, limits: limits)
    let dataStart = FileLayout.aligned(FileLayout.preambleSize + headerSize)
    let entries = try Self.checkTensorTable(header, dataStart: dataStart, fileSize: file.count, limits: limits)
    if let trailing = Self.trailingBytes(entries, headerEnd: FileLayout.preambleSize + headerSize, fileSize: file.count) { throw trailing }
    let stored = entries.enumerated().map { index, entry in
      // A codec-none tensor's stored bytes are its raw bytes, whose checksum the file holds (checked on decoding).
      StoredTensor(entry: entry, index: index, storedCRC: entry.codec == .none ? entry.crc32 : nil)
    }
    let store = WeightStore(stored: stored, origin: origin, mapping: mapping, checkedAtLoad: preparing == .atLoad)
    defer { store.releaseMapping() }
    try self.init(
      graph: header.graph, store: store, metadata: header.metadata, limits: limits, threads: threads, preparing: preparing)
    if preparing == .atLoad { try store.endLoading() }
  }

  private static func readUInt(_ file: UnsafeRawBufferPointer, at offset: Int, size: Int) -> UInt64 {
    (0..<size).reduce(UInt64(0)) { $0 | UInt64(file[offset + $1]) << (8 * $1) }
  }

  /// Checks the preamble and header checksum and decodes the header; also returns the header's size.
  static func readHeader(_ file: UnsafeRawBufferPointer, limits: LoadLimits) throws -> (Header, Int) {
    let magic = FileLayout.magic
    guard file.count >= magic.count else {
      if Array(file) == Array(magic.prefix(file.count)), !file.isEmpty {
        throw C1DError.truncated(what: "preamble", needed: FileLayout.preambleSize, available: file.count)
      }
      throw C1DError.badMagic(found: Array(file))
    }
    guard Array(file[0..<magic.count]) == magic else { throw C1DError.badMagic(found: Array(file[0..<magic.count])) }
    guard file.count >= FileLayout.preambleSize else {
      throw C1DError.truncated(what: "preamble", needed: FileLayout.preambleSize, available: file.count)
    }
    let major = Int(readUInt(file, at: 8, size: 2))
    let minor = Int(readUInt(file, at: 10, size: 2))
    guard major == FileLayout.majorVersion else { throw C1DError.unsupportedVersion(major: major, minor: minor) }
    let storedPreambleCRC = UInt32(readUInt(file, at: 28, size: 4))
    let preambleCRC = Zlib.crc32(UnsafeRawBufferPointer(rebasing: file[0..<28]))
    guard storedPreambleCRC == preambleCRC else {
      throw C1DError.checksumMismatch(what: "preamble", stored: storedPreambleCRC, computed: preambleCRC)
    }
    let declaredSize = readUInt(file, at: 16, size: 8)
    guard declaredSize <= UInt64(limits.maxHeaderBytes) else {
      throw C1DError.limitExceeded(what: "header size", limit: limits.maxHeaderBytes, actual: Int(clamping: declaredSize))
    }
    let headerSize = Int(declaredSize)
    guard FileLayout.preambleSize + headerSize <= file.count else {
      throw C1DError.truncated(what: "header", needed: FileLayout.preambleSize + headerSize, available: file.count)
    }
    let headerBytes = UnsafeRawBufferPointer(rebasing: file[FileLayout.preambleSize..<FileLayout.preambleSize + headerSize])
    let storedCRC = UInt32(readUInt(file, at: 24, size: 4))
    let computedCRC = Zlib.crc32(headerBytes)
    guard storedCRC == computedCRC else {
      throw C1DError.checksumMismatch(what: "header", stored: storedCRC, computed: computedCRC)
    }
    return (try Header(json: try JSONParser.parse(Array(headerBytes)), limits: limits), headerSize)
  }

  /// Cross-checks the tensor table against itself and the file: names, sizes, extents, alignment, overlap.
  static func checkTensorTable(_ header: Header, dataStart: Int, fileSize: Int, limits: LoadLimits) throws -> [TensorEntry] {
    var names = Set<String>()
    for entry in header.tensors {
      guard names.insert(entry.name).inserted else { throw C1DError.duplicateName(kind: "tensor", name: entry.name) }
      try checkEntry(entry, dataStart: dataStart, fileSize: fileSize, limits: limits)
    }
    if let overlap = overlaps(header.tensors).first { throw overlap }
    return header.tensors
  }

  static func checkEntry(_ entry: TensorEntry, dataStart: Int, fileSize: Int, limits: LoadLimits) throws {
    guard let elements = entry.shape.checkedProduct,
      case (let expected, false) = elements.multipliedReportingOverflow(by: entry.dtype.size)
    else {
      throw C1DError.limitExceeded(what: "tensor '\(entry.name)' size in bytes", limit: limits.maxTensorBytes, actual: Int.max)
    }
    guard expected <= limits.maxTensorBytes else {
      throw C1DError.limitExceeded(what: "tensor '\(entry.name)' size in bytes", limit: limits.maxTensorBytes, actual: expected)
    }
    guard entry.rawSize == expected else {
      throw C1DError.rawSizeMismatch(tensor: entry.name, expected: expected, declared: entry.rawSize)
    }
    guard entry.offset % FileLayout.alignment == 0 else {
      throw C1DError.misalignedTensor(tensor: entry.name, offset: entry.offset)
    }
    let (end, overflow) = entry.offset.addingReportingOverflow(entry.storedSize)
    guard !overflow, entry.offset >= dataStart, end <= fileSize else {
      throw C1DError.tensorOutOfBounds(tensor: entry.name, offset: entry.offset, size: entry.storedSize, fileSize: fileSize)
    }
    switch entry.codec {
    case .none:
      guard entry.storedSize == entry.rawSize else {
        throw C1DError.corruptTensorData(tensor: entry.name, reason: "codec 'none' needs stored_size = raw_size = \(entry.rawSize), got stored_size \(entry.storedSize)")
      }
    case .deflate, .shuffleDeflate:
      let bound = entry.storedSize.multipliedReportingOverflow(by: limits.maxInflateRatio).partialValue + 4096
      guard entry.rawSize <= bound else {
        throw C1DError.limitExceeded(what: "tensor '\(entry.name)' raw_size (inflate ratio bound for \(entry.storedSize) stored bytes)", limit: bound, actual: entry.rawSize)
      }
    }
  }

  /// Bytes after the end of the data (FORMAT.md §2, §9): no checksum covers them, so a file must end
  /// exactly where the tensor that ends last ends (an empty tensor ends at its offset, as writers pad to
  /// it), or at the header's end when there are no tensors.
  static func trailingBytes(_ entries: [TensorEntry], headerEnd: Int, fileSize: Int) -> C1DError? {
    let last = entries.max { $0.offset + $0.storedSize < $1.offset + $1.storedSize }
    let end = max(headerEnd, last.map { $0.offset + $0.storedSize } ?? 0)
    guard fileSize > end else { return nil }
    let owner = last.map { "the end of tensor '\($0.name)'" } ?? "the end of the header"
    return C1DError.invalidField(
      path: "file size", expected: "\(end) bytes (\(owner)); nothing may follow the data",
      actual: "\(fileSize) bytes, \(fileSize - end) trailing bytes that no checksum covers (a file appended to or corrupted)")
  }

  /// Every pair of neighbouring tensors whose stored bytes overlap.
  static func overlaps(_ entries: [TensorEntry]) -> [C1DError] {
    let byOffset = entries.filter { $0.storedSize > 0 }.sorted { ($0.offset, $0.name) < ($1.offset, $1.name) }
    return zip(byOffset, byOffset.dropFirst()).compactMap { a, b in
      a.offset + a.storedSize > b.offset ? C1DError.overlappingTensors(a.name, b.name) : nil
    }
  }

  /// Every problem in the file at `path`, in the order the loader meets them, without stopping at
  /// the first (a problem in the container hides what lies behind it).
  /// - Parameters:
  ///   - length: also check every node's output shape for this input length.
  /// - Returns: an empty array for a valid file.
  public static func problems(inFileAt path: String, length: Int? = nil, limits: LoadLimits = .default) -> [C1DError] {
    let file: MappedFile
    let header: Header
    let headerSize: Int
    do {
      file = try MappedFile(path: path)
      (header, headerSize) = try readHeader(file.bytes, limits: limits)
    } catch {
      return [C1DError.wrap(error)]
    }
    var found: [C1DError] = []
    let dataStart = FileLayout.aligned(FileLayout.preambleSize + headerSize)
    var names = Set<String>()
    var sound: [TensorEntry] = []
    for entry in header.tensors {
      do {
        guard names.insert(entry.name).inserted else { throw C1DError.duplicateName(kind: "tensor", name: entry.name) }
        try checkEntry(entry, dataStart: dataStart, fileSize: file.bytes.count, limits: limits)
        sound.append(entry)
      } catch {
        found.append(C1DError.wrap(error))
      }
    }
    found += overlaps(sound)
    if found.isEmpty, let trailing = trailingBytes(sound, headerEnd: FileLayout.preambleSize + headerSize, fileSize: file.bytes.count) {
      found.append(trailing)
    }
    // Shapes are all the graph checks need; a tensor whose bytes are bad still has its declared shape.
    var weights: [String: Tensor] = [:]
    for entry in header.tensors { weights[entry.name] = Tensor(uncheckedShape: entry.shape, values: []) }
    if found.isEmpty {
      for entry in sound {
        let stored = UnsafeRawBufferPointer(rebasing: file.bytes[entry.offset..<entry.offset + entry.storedSize])
        do { _ = try decodeTensor(entry, stored: stored) } catch { found.append(C1DError.wrap(error)) }
      }
    }
    let validator = GraphValidator(graph: header.graph, weights: weights, limits: limits)
    let graphProblems = validator.problems()
    found += graphProblems
    let lengths = header.graph.inputs.compactMap { length ?? $0.length }
    if graphProblems.isEmpty, lengths.count == header.graph.inputs.count {
      do {
        _ = try validator.validate().shapes(lengths: lengths, batch: nil)
      } catch {
        found.append(C1DError.wrap(error))
      }
    }
    return found
  }

  /// A tensor's values from its stored bytes, inflated and checked against its checksum.
  static func decodeTensor(_ entry: TensorEntry, stored: UnsafeRawBufferPointer) throws -> [Float] {
    switch entry.codec {
    case .none:
      return try checkedDecode(entry, raw: stored, shuffled: false)
    case .deflate where entry.dtype == .f32:
      return try inflateFloats(entry, stored: stored)
    case .deflate, .shuffleDeflate:
      return try inflateAndDecode(entry, stored: stored)
    }
  }

  /// f32 deflated: the raw bytes are the values (little-endian, as `c1d_decode_chunk` takes them), so they
  /// are inflated straight into the array, without a byte array to copy from; then checksummed.
  static func inflateFloats(_ entry: TensorEntry, stored: UnsafeRawBufferPointer) throws -> [Float] {
    let count = entry.rawSize / 4
    var inflated = false
    let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
      inflated = Zlib.inflate(stored, into: UnsafeMutableRawBufferPointer(out))
      initialized = inflated ? count : 0
    }
    guard inflated else {
      // A stream libdeflate refuses: the byte path names the problem (or, should zlib take it, decodes it).
      switch Zlib.decompress(stored, expectedSize: entry.rawSize) {
      case .success(let raw): return try raw.withUnsafeBytes { try checkedDecode(entry, raw: $0, shuffled: false) }
      case .failure(.corrupt(let reason)): throw C1DError.corruptTensorData(tensor: entry.name, reason: reason)
      }
    }
    let crc = values.withUnsafeBytes { Zlib.crc32($0) }
    guard crc == entry.crc32 else {
      throw C1DError.checksumMismatch(what: "tensor '\(entry.name)'", stored: entry.crc32, computed: crc)
    }
    return values
  }

  /// Unshuffles, checksums and converts a tensor's raw bytes in one pass of cache-sized chunks.
  /// - Throws: `checksumMismatch` when the CRC-32 of the raw (unshuffled) bytes is not the stored one.
  static func checkedDecode(_ entry: TensorEntry, raw: UnsafeRawBufferPointer, shuffled: Bool) throws -> [Float] {
    let count = raw.count / entry.dtype.size
    return try [Float](unsafeUninitializedCapacity: count) { out, initialized in
      try checkedDecode(entry, raw: raw, shuffled: shuffled, into: UnsafeMutableBufferPointer(rebasing: out[0..<count]))
      initialized = count
    }
  }

  /// A deflated tensor inflated and decoded. The values are allocated before the inflated bytes, which are
  /// freed first: at the top of the heap, their pages go to the packed panels made next (a fresh page costs
  /// more than the decoding of it) rather than lying below them as a hole.
  static func inflateAndDecode(_ entry: TensorEntry, stored: UnsafeRawBufferPointer) throws -> [Float] {
    let count = entry.rawSize / entry.dtype.size
    return try [Float](unsafeUninitializedCapacity: count) { out, initialized in
      switch Zlib.decompress(stored, expectedSize: entry.rawSize, pieces: pieceSizes(entry)) {
      case .success(let raw):
        try raw.withUnsafeBytes { raw in
          try checkedDecode(
            entry, raw: raw, shuffled: entry.codec == .shuffleDeflate, into: UnsafeMutableBufferPointer(rebasing: out[0..<count]))
        }
      case .failure(.corrupt(let reason)):
        throw C1DError.corruptTensorData(tensor: entry.name, reason: reason)
      }
      initialized = count
    }
  }

  /// The raw sizes of the pieces the reference writers cut a `shuffle-deflate` tensor's stream into (each
  /// byte plane in pieces of `Zlib.deflatePiece` bytes), which `Zlib.inflatePieces` decodes side by side;
  /// nil for other codecs. A stream cut otherwise is inflated in order.
  static func pieceSizes(_ entry: TensorEntry) -> [Int]? {
    guard entry.codec == .shuffleDeflate else { return nil }
    // A closure, not `\.count`: a key path over a generic type is built at run time on its first use, by
    // looking its type up by name (~80 µs, 0.8% of Whisper's front as a whole process).
    return Zlib.pieceBounds(length: entry.rawSize, pieceLength: Zlib.deflatePiece, planeLength: entry.rawSize / entry.dtype.size)
      .map { $0.count }
  }

  /// Whether a tensor's decode inflates its raw bytes before converting them (`inflateAndDecode`), so that
  /// several such tensors can be inflated together (`inflateGroup`).
  static func inflatesRawBytes(_ entry: TensorEntry) -> Bool {
    entry.codec == .shuffleDeflate || (entry.codec == .deflate && entry.dtype != .f32)
  }

  /// The raw (still shuffled) bytes of tensors that `inflatesRawBytes`, inflated together on this thread
  /// (`Zlib.inflateGroup`), as slices of one buffer; nil for a stream that does not inflate to its raw
  /// size (its own decode then says why).
  static func inflateGroup(_ entries: [TensorEntry], stored: [UnsafeRawBufferPointer]) -> [ArraySlice<UInt8>?] {
    let starts = entries.reduce(into: [0]) { $0.append($0.last! + $1.rawSize) }
    var inflated: [Bool] = []
    // Uninitialised bytes are never exposed: a slice whose stream did not fill it is not returned.
    let raw = [UInt8](unsafeUninitializedCapacity: starts.last!) { buffer, count in
      let outputs = entries.indices.map {
        UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[starts[$0]..<starts[$0 + 1]]))
      }
      inflated = Zlib.inflateGroup(stored, into: outputs, pieces: entries.map(pieceSizes))
      count = starts.last!
    }
    return entries.indices.map { inflated[$0] ? raw[starts[$0]..<starts[$0 + 1]] : nil }
  }

  /// A tensor's values from the raw bytes `inflateGroup` gave, checked against its checksum.
  static func decodeInflated(_ entry: TensorEntry, raw: ArraySlice<UInt8>) throws -> [Float] {
    try raw.withUnsafeBytes { try checkedDecode(entry, raw: $0, shuffled: entry.codec == .shuffleDeflate) }
  }

  /// `checkedDecode` into `out`, which holds one value per raw element.
  static func checkedDecode(
    _ entry: TensorEntry, raw: UnsafeRawBufferPointer, shuffled: Bool, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    let size = entry.dtype.size
    let count = out.count
    let chunk = 4096
    var scratch = [UInt8](repeating: 0, count: shuffled ? chunk * size : 0)
    var crc: UInt32 = 0
    if let source = raw.baseAddress?.assumingMemoryBound(to: UInt8.self), let destination = out.baseAddress {
      scratch.withUnsafeMutableBufferPointer { scratch in
        for first in stride(from: 0, to: count, by: chunk) {
          let n = min(chunk, count - first)
          var bytes = source + first * size
          if shuffled, let gathered = scratch.baseAddress {
            c1d_unshuffle_chunk(source, count, Int32(size), first, n, gathered)
            bytes = UnsafePointer(gathered)
          }
          crc = Zlib.crc32(UnsafeRawBufferPointer(start: bytes, count: n * size), continuing: crc)
          c1d_decode_chunk(entry.dtype.kernelCode, bytes, n, destination + first)
        }
      }
    }
    guard crc == entry.crc32 else {
      throw C1DError.checksumMismatch(what: "tensor '\(entry.name)'", stored: entry.crc32, computed: crc)
    }
  }
}
